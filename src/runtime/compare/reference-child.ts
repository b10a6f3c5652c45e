/**
 * The child process of runOnReference(): started with SPARQ_DISABLE_NATIVE=1,
 * so every kernel runs on sparq's TypeScript reference backend. It runs one
 * model on one set of feeds and sends back the fetched values, or the error.
 */
import { InferenceSession } from '../session.js';
import type { ReferenceRequest, ReferenceReply } from './reference-run.js';

process.once('message', (request: ReferenceRequest) => {
  void (async (): Promise<ReferenceReply> => {
    try {
      // NCHW: the oracle of the channels-last operators is the NCHW reference (with the transposes the layout pass adds).
      const session = await InferenceSession.create(request.model, { ...request.sessionOptions, backend: 'cpu', layout: 'nchw' });
      // Values this session does not keep (another backend's passes may fuse differently) are left out; the caller skips them.
      const kept = new Set(session.valueNames());
      const values = session.runSync(request.feeds, request.fetches?.filter((n) => kept.has(n)) ?? session.outputNames);
      return { values };
    } catch (e) {
      return { error: { name: (e as Error).name ?? 'Error', message: (e as Error).message ?? String(e) } };
    }
  })().then((reply) => process.send!(reply, () => process.disconnect()));
});
