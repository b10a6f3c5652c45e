/** Runs the sparq command as a user would (node --import tsx src/cli/sparq.ts ...): its exit code and output, whatever the code. */
import { execFile } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve('src/cli/sparq.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sparq(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** stderr as the conventions want a failure: exactly one line. */
export const ONE_LINE = /^[^\n]+\n$/;
