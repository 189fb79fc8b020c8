// Placeholder until the command lands; replaced by its implementation.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('snapscan emulator: not available yet\n');
  return 2;
}
