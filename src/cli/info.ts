/**
 * `sparq info`: what this machine runs. The CPU and the ISA levels it has,
 * the cap in force (SPARQ_ISA), each kernel family's variants with the one
 * dispatch picks, threads, the native addon or the TypeScript fallback, the
 * WebGPU adapters Dawn finds, onnxruntime-node's version, Node, OS, cores
 * and memory.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

import { cpu, webgpu, type AdapterReport } from '../index.js';
import { native } from '../native.js';
import { oneLine, parseFlags, printHelp, table, type Command } from './conventions.js';

const USAGE = `usage: sparq info [--json]

The CPU (model, ISA levels, the cap in force), each kernel family's variants with the one
this CPU runs (*), threads, the native addon or the TypeScript fallback, WebGPU adapters,
onnxruntime-node's version, Node, OS, cores and memory.
  --json   the same as JSON
SPARQ_ISA=scalar|avx2|avx512|avx512vnni|neon|neondot caps the ISA; SPARQ_THREADS sets the threads.

examples:
  sparq info
  sparq info --json
  SPARQ_ISA=avx2 sparq info
`;

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

function onnxruntimeVersion(): string | null {
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

function print(m: MachineInfo): void {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  console.log(`cpu: ${m.cpu.model} (${m.cpu.arch}, ${m.cpu.cores} cores, ${gib(m.memoryBytes)} memory)`);
  console.log(`isa: ${m.cpu.isaLevels.join(' ') || 'unknown (no native addon)'}; cap ${m.cpu.isaCap}; running ${m.cpu.isa}`);
  console.log(`backend: ${m.backend.implementation === 'native' ? `native addon ${m.backend.addonPath}` : 'TypeScript reference (no native addon)'}, ${m.backend.threads} thread${m.backend.threads === 1 ? '' : 's'}`);
  if (m.families.length > 0) {
    console.log('\nkernels (* runs here, - not on this CPU or above the cap):');
    console.log(table(m.families.map((f) => [`  ${f.family}`, f.variants.map((v) => `${v.name === f.chosen ? '*' : v.supported ? '' : '-'}${v.name}`).join(' ')])));
  }
  console.log('\nwebgpu:');
  if (m.webgpu.adapters.length === 0) console.log(`  none found${m.webgpu.error ? ` (${m.webgpu.error})` : ''}`);
  for (const a of m.webgpu.adapters) {
    console.log(`  ${a.vendor} ${a.architecture} ${a.device}: ${a.description}`);
    console.log(`    features: ${a.features.join(' ') || 'none'}${a.subgroupMinSize ? `; subgroups of ${a.subgroupMinSize}+` : ''}`);
    console.log(`    limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  console.log(`\nonnxruntime-node: ${m.onnxruntime ?? 'not installed'}`);
  console.log(`node: ${m.node}; os: ${m.os.type} ${m.os.release} (${m.os.platform})`);
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, { json: { type: 'boolean' } }, 0);
  if (parsed === 'help') return printHelp(USAGE);
  const m = await machineInfo();
  if (parsed.values.json) console.log(JSON.stringify(m, null, 2));
  else print(m);
  return 0;
}

export const command: Command = { name: 'info', usage: USAGE, main };
