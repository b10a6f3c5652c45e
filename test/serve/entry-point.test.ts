/** The server from code, through the package's entry point as an app imports it. */
import assert from 'node:assert/strict';

import * as sparq from '../../src/index.js';
import { images, INT8, json, oracle, post, v2Body } from './serve-fixtures.js';

describe('serve: the package entry point', function () {
  it('createServer serves a model and closes', async () => {
    const server = await sparq.createServer({ models: [INT8], port: 0, threads: 1 });
    try {
      const data = images(2, 40);
      const answer = await post(`${server.url}/v2/models/int8-90-blocks/infer`, v2Body(data));
      assert.equal(answer.status, 200);
      assert.deepEqual(json(answer.bytes).outputs[0].data, [...(await oracle(INT8, data))]);
    } finally {
      await server.close();
    }
    await assert.rejects(sparq.createServer({ models: [INT8], host: '' }), { name: 'TypeError', message: /options.host/ });
  });
});
