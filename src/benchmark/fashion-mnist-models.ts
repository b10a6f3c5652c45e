/**
 * The Fashion-MNIST example models the package ships
 * (examples/fashion-mnist/models, written by `npm run example:fashion-mnist`)
 * as the bench suite lists them: form, file, the accuracy models.json
 * recorded, and the kind of compression the file name says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../native.js';

export interface ExampleModel {
  /** models.json's name: 'fp32', 'int8 90% blocks', 'student fp32', ... */
  form: string;
  /** The file's name, e.g. 'int8-90-blocks.onnx', and its path. */
  file: string;
  path: string;
  precision: 'fp32' | 'int8';
  /** 'dense', 'unstructured', '2:4', 'blocks 4x1' or 'distilled half width'. */
  structure: string;
  /** Top-1 accuracy on the 10000 test images when the models were written. */
  recordedTop1: number;
}

/** The forms `sparq bench --quick` times: dense and the fastest pruned layout, each fp32 and int8. */
export const QUICK_FORMS: readonly string[] = ['fp32', 'int8', 'fp32 90% blocks', 'int8 90% blocks'];

/** Found from the package root, so the same path works from src/ (tsx) and from dist/src/ (compiled). */
export const EXAMPLE_MODELS_DIR = join(packageRoot(), 'examples', 'fashion-mnist', 'models');

/** The file name's compression: compress.ts names its outputs <precision>[-90|-2-4|-90-blocks].onnx and student-<precision>.onnx. */
function structureOf(file: string): string {
  if (file.startsWith('student-')) return 'distilled half width';
  if (file.includes('-90-blocks')) return 'blocks 4x1';
  if (file.includes('-90')) return 'unstructured';
  if (file.includes('-2-4')) return '2:4';
  return 'dense';
}

/** Every example model, in models.json's order. */
export function exampleModels(): ExampleModel[] {
  const recorded = JSON.parse(readFileSync(join(EXAMPLE_MODELS_DIR, 'models.json'), 'utf8')) as { accuracy: Record<string, number>; files: Record<string, string> };
  return Object.entries(recorded.files).map(([form, file]) => ({
    form, file, path: join(EXAMPLE_MODELS_DIR, file),
    precision: form.includes('int8') ? 'int8' : 'fp32',
    structure: structureOf(file),
    recordedTop1: recorded.accuracy[form],
  }));
}
