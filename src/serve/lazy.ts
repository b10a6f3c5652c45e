/**
 * The server for the package's entry point: fastify and prom-client load on
 * the first createServer() call, not when sparq is imported.
 */
import type { ServeOptions } from './options.js';
import type { SparqServer } from './server.js';

/**
 * Loads the models and starts sparq's inference server (KServe v2 and TF Serving REST, dynamic batching, /metrics); resolves once it listens.
 * @throws TypeError/RangeError naming a bad option; the listen error when the port is taken.
 */
export async function createServer(options: ServeOptions): Promise<SparqServer> {
  return (await import('./server.js')).createServer(options);
}
