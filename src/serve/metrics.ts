/**
 * The server's Prometheus metrics (GET /metrics), in a registry of its own so
 * that two servers in one process, or an app's own prom-client metrics, do
 * not collide: requests and their latency per model, protocol and status,
 * batch sizes, queue depth and inference time per model, and the process's
 * default metrics (memory, CPU, event-loop lag).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, 0.5 ms to 10 s. */
const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'sparq_requests_total', help: 'Inference requests answered, by model, protocol and HTTP status', labelNames: ['model', 'protocol', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({ name: 'sparq_request_duration_seconds', help: 'Inference request latency from arrival to answer', labelNames: ['model', 'protocol', 'status'], buckets: SECONDS, registers: [this.registry] });
  readonly batchSize = new Histogram({ name: 'sparq_batch_size', help: 'Rows (axis-0 entries) per batch run', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry] });
  readonly batchRequests = new Histogram({ name: 'sparq_batch_requests', help: 'Requests per batch run', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry] });
  readonly inference = new Histogram({ name: 'sparq_inference_duration_seconds', help: 'Time to run one batch, including the hand-off to the engine worker', labelNames: ['model'], buckets: SECONDS, registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'sparq_queue_depth', help: 'Requests waiting to be batched', labelNames: ['model'], registers: [this.registry] });
  readonly engineRestarts = new Counter({ name: 'sparq_engine_restarts_total', help: 'Engine worker threads replaced after one died', registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'sparq_requests_in_flight', help: 'Inference requests being handled', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The hooks a model's batcher reports through. */
  batchHooks(model: string) {
    return {
      onBatch: (rows: number, requests: number, seconds: number) => {
        this.batchSize.observe({ model }, rows);
        this.batchRequests.observe({ model }, requests);
        this.inference.observe({ model }, seconds);
      },
      onQueue: (depth: number) => this.queueDepth.set({ model }, depth),
    };
  }

  /** Records an answered inference request. */
  answered(model: string, protocol: 'v2' | 'tfserving', status: number, seconds: number): void {
    const labels = { model, protocol, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }
}
