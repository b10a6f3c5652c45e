/**
 * Compute pipelines, compiled once per (shader file, override constants):
 * shapes travel in uniforms, so one pipeline serves every shape (DESIGN:
 * the cache key is file stem + overrides, never shapes). Shaders are the
 * .wgsl files of kernels/<family>/, shipped with the package. WGSL has no
 * includes: a line `//! include "common/<file>.wgsl"` is replaced by that
 * file (path relative to kernels/, each file included once), so kernels
 * share helper functions, and a kernel's variants its body, instead of
 * copying them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../../native.js';

export type Overrides = Record<string, number>;

const INCLUDE = /^\/\/! include "([\w./-]+\.wgsl)"\s*$/gm;

/** kernels/<path> with its includes expanded (each file once, in first-use order). */
export function wgslSource(path: string, seen = new Set<string>()): string {
  seen.add(path);
  const code = readFileSync(join(packageRoot(), 'kernels', path), 'utf8');
  return code.replace(INCLUDE, (_, included: string) => (seen.has(included) ? '' : wgslSource(included, seen)));
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  /** kernels/<family>/<stem>.wgsl, e.g. ('f32-gemm', 'f32-gemm-wgsl'). */
  private module(family: string, stem: string): GPUShaderModule {
    let module = this.modules.get(stem);
    if (module === undefined) {
      module = this.device.createShaderModule({ label: stem, code: wgslSource(join(family, `${stem}.wgsl`)) });
      this.modules.set(stem, module);
    }
    return module;
  }

  get(family: string, stem: string, overrides: Overrides = {}): Promise<GPUComputePipeline> {
    const key = `${stem}|${JSON.stringify(Object.entries(overrides).sort())}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      pipeline = this.device
        .createComputePipelineAsync({ label: key, layout: 'auto', compute: { module: this.module(family, stem), constants: overrides } })
        .catch((e: Error) => {
          this.pipelines.delete(key);
          throw new Error(`sparq webgpu: pipeline ${key} failed to compile: ${e.message}`);
        });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}
