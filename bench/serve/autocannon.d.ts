/** The part of autocannon's programmatic API the serving benches use (it ships no types). */
declare module 'autocannon' {
  export interface Histogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
    /** Requests only: completed requests in all. */
    total: number;
  }

  export interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds a request may take before it counts as a timeout (and an error). */
    timeout?: number;
  }

  export interface Result {
    /** Per-second counts of completed requests. */
    requests: Histogram;
    /** Milliseconds from a request's start to its response. */
    latency: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }

  /** A running load: a promise of its result, and the events of each answer. */
  export interface Instance extends PromiseLike<Result> {
    /** Every answer, with its status and the milliseconds (fractional) since its request was sent. */
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
