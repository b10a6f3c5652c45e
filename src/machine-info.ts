/**
 * The machine sparq runs on, as `sparq info` prints it and `sparq bench`
 * records it beside its figures: the CPU and the ISA levels it has, the cap
 * in force (SPARQ_ISA), each kernel family's variants with the one dispatch
 * picks, threads, the native addon or the TypeScript fallback, the WebGPU
 * adapters Dawn finds, onnxruntime-node's version, Node, OS, cores, memory.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

import { cpu } from './backends/cpu/backend.js';
import { webgpu } from './backends/webgpu/backend.js';
import type { AdapterReport } from './backends/webgpu/device.js';
import { native } from './native.js';
import { oneLine } from './cli/conventions.js';

/** How long Dawn gets to find an adapter: a broken driver must not hang the command. */
const ADAPTER_TIMEOUT_MS = 10_000;

export interface FamilyInfo {
  family: string;
  /** The variant dispatch runs here (the best one the CPU and the cap allow); null without the addon. */
  chosen: string | null;
  variants: { name: string; isa: string; supported: boolean }[];
}

export interface MachineInfo {
  cpu: { model: string; cores: number; arch: string; isaLevels: string[]; isaCap: string; isa: string };
  backend: { implementation: 'native' | 'reference'; addonPath: string | null; threads: number };
  families: FamilyInfo[];
  webgpu: { adapters: AdapterReport[]; error: string | null };
  onnxruntime: string | null;
  node: string;
  os: { platform: string; release: string; type: string };
  memoryBytes: number;
}

/** The CPU's name: /proc/cpuinfo's model name on Linux (os.cpus() may lack it on some kernels), else os.cpus(). */
function cpuModel(): string {
  try {
    const line = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (line) return line[1].trim();
  } catch {
    // Not Linux: os.cpus() below.
  }
  return os.cpus()[0]?.model.trim() || 'unknown';
}

/** The ISA levels the CPU has (whatever the cap), from the addon's feature flags. */
function isaLevels(): string[] {
  const f = native()?.cpuInfo();
  if (!f) return [];
  const levels: [boolean, string][] = [[f.avx2Fma, 'avx2'], [f.avx512, 'avx512'], [f.avx512Vnni, 'avx512vnni'], [f.amxInt8, 'amx'], [f.neon, 'neon'], [f.neonDot, 'neondot'], [f.i8mm, 'i8mm']];
  return ['scalar', ...levels.filter(([has]) => has).map(([, name]) => name)];
}

export function onnxruntimeVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

/** The adapters Dawn gives for each power preference (one machine's GPUs), each made into a device once and destroyed. */
async function adapters(): Promise<MachineInfo['webgpu']> {
  const found: AdapterReport[] = [];
  for (const powerPreference of ['high-performance', 'low-power'] as const) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Dawn within ${ADAPTER_TIMEOUT_MS / 1000} s`)), ADAPTER_TIMEOUT_MS);
    });
    try {
      const gpu = await Promise.race([webgpu({ powerPreference }), timeout]);
      const a = gpu.adapter;
      gpu.destroy();
      if (!found.some((b) => b.description === a.description && b.device === a.device)) found.push(a);
    } catch (e) {
      if (found.length > 0) continue;
      // A request still pending in Dawn would keep the process alive: let it exit once the command is done.
      if ((e as Error).message.startsWith('no answer from Dawn')) setTimeout(() => process.exit(), 1000).unref();
      return { adapters: [], error: oneLine(e) };
    } finally {
      clearTimeout(timer);
    }
  }
  return { adapters: found, error: null };
}

/** An adapter's Dawn backend, and 'software' for a fallback adapter (its timings are not a GPU's). */
export function adapterBackend(a: AdapterReport): string {
  return a.fallback ? `${a.backend}, software` : a.backend;
}

export async function machineInfo(): Promise<MachineInfo> {
  const i = cpu.info();
  const isaCap = native()?.cpuInfo().isaLimit ?? 'none';
  return {
    cpu: { model: cpuModel(), cores: os.availableParallelism(), arch: process.arch, isaLevels: isaLevels(), isaCap, isa: i.isa },
    backend: { implementation: i.implementation, addonPath: i.addonPath, threads: i.threads },
    families: Object.entries(i.variants).map(([family, variants]) => ({
      family, chosen: variants.find((v) => v.supported)?.name ?? null, variants: variants.map(({ name, isa, supported }) => ({ name, isa, supported })),
    })),
    webgpu: await adapters(),
    onnxruntime: onnxruntimeVersion(),
    node: process.version,
    os: { platform: process.platform, release: os.release(), type: os.type() },
    memoryBytes: os.totalmem(),
  };
}

