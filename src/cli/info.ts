/**
 * `sparq info`: what this machine runs. The CPU and the ISA levels it has,
 * the cap in force (SPARQ_ISA), each kernel family's variants with the one
 * dispatch picks, threads, the native addon or the TypeScript fallback, the
 * WebGPU adapters Dawn finds, onnxruntime-node's version, Node, OS, cores
 * and memory.
 */
import { adapterBackend, machineInfo, type MachineInfo } from '../machine-info.js';
import { parseFlags, printHelp, table, type Command } from './conventions.js';

export type { MachineInfo };

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
    console.log(`  ${a.vendor} ${a.architecture} ${a.device}: ${a.description} (${adapterBackend(a)})`);
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
