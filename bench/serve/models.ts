/**
 * The models the serving benches load: the CIFAR-10 CNN in fp32 and pruned
 * + int8 (src/benchmark/cifar-cnn-forms.ts), written as model files into a
 * fresh temporary folder, since the server loads files and serves each under
 * its file's name.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { cifarCnnForms } from '../../src/benchmark/cifar-cnn-forms.js';

export interface ServedModel {
  /** The form as the bench suite names it ('fp32', 'int8 90% blocks'). */
  form: string;
  /** The name the server serves it under (its file's name). */
  name: string;
  path: string;
  bytes: Uint8Array;
}

/** The forms served, and the file name each is written under. */
const SERVED_FORMS: Record<string, string> = { fp32: 'cifar-fp32', 'int8 90% blocks': 'cifar-int8-blocks' };

/** The served models written into a new temporary folder; `remove()` deletes it. */
export async function writeServedModels(): Promise<{ models: ServedModel[]; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sparq-serve-bench-'));
  const forms = (await cifarCnnForms()).filter((f) => f.form in SERVED_FORMS);
  const models = await Promise.all(forms.map(async ({ form, bytes }) => {
    const name = SERVED_FORMS[form];
    const file = path.join(dir, `${name}.onnx`);
    await writeFile(file, bytes);
    return { form, name, path: file, bytes };
  }));
  return { models, remove: () => rm(dir, { recursive: true, force: true }) };
}
