/**
 * Dockerfile and .dockerignore. No docker daemon on the test machines: the file is linted with
 * dockerfile-utils (the Docker language server's validator) and its instructions checked with
 * dockerfile-ast: multi-stage on a current Node LTS slim base, production dependencies only, non-root,
 * tini as PID 1, a health check that is a real snapscan command, a writable home on a volume, and a
 * build context holding only what the stages copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { runNode } from './emulator/run-cli.js';
import { REPO_ROOT } from './emulator/test-image.js';

const text = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  files: string[];
  engines: { node: string };
};

/** Instructions per stage (FROM … up to the next FROM). */
function stages(): { name: string | null; from: string; instructions: Instruction[] }[] {
  const out: { name: string | null; from: string; instructions: Instruction[] }[] = [];
  for (const ins of dockerfile.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const args = ins.getArguments().map((a) => a.getValue());
      out.push({ name: args[2] ?? null, from: args[0]!, instructions: [] });
    } else out.at(-1)?.instructions.push(ins);
  }
  return out;
}
const of = (ins: Instruction[], kw: string) => ins.filter((i) => i.getKeyword() === kw);
const content = (i: Instruction) => i.getRawArgumentsContent() ?? '';
/** The whole instruction's text after the keyword, flags included (`--from=deps …`). */
const full = (i: Instruction) => i.getTextContent().replace(/^\S+\s+/, '');
const execForm = (i: Instruction) => JSON.parse(content(i).replace(/^CMD\s+/, '')) as string[];

describe('Dockerfile', () => {
  const all = stages();
  const final = all.at(-1)!;

  it('passes the dockerfile-utils validator with no diagnostic', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('is multi-stage on a current Node LTS slim base that package.json engines allows', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim$/);
    const arg = dockerfile.getInstructions().find((i) => i.getKeyword() === 'ARG')!;
    const major = Number(/^NODE_VERSION=(\d+)$/.exec(content(arg))![1]);
    expect([22, 24]).toContain(major);
    const min = Number(/^>=(\d+)/.exec(pkg.engines.node)![1]);
    expect(major).toBeGreaterThanOrEqual(min);
  });

  it('installs production dependencies with npm ci --omit=dev in a build stage, where better-sqlite3 is compiled and loaded', () => {
    const deps = all.find((s) =>
      of(s.instructions, 'RUN').some((r) => /npm ci --omit=dev/.test(content(r))),
    )!;
    expect(deps.name).toBeTruthy();
    expect(deps).not.toBe(final);
    expect(of(deps.instructions, 'RUN').map(content).join('\n')).toMatch(
      /g\+\+[\s\S]*require\('better-sqlite3'\)/,
    );
    const copies = of(final.instructions, 'COPY').map(full);
    expect(copies).toContain(`--from=${deps.name} /src/node_modules ./node_modules`);
    // No compiler toolchain and no npm install in the final stage.
    expect(of(final.instructions, 'RUN').map(content).join('\n')).not.toMatch(/g\+\+|npm (ci|install)/);
  });

  it('ships what package.json `files` ships (compiled dist/, bin/, schemas/) and no sources, tests or benches', () => {
    const copied = of(final.instructions, 'COPY').map((c) =>
      c.getArguments().at(-1)!.getValue().replace(/^\.\//, ''),
    );
    const files = pkg.files.map((f) => f.replace(/\/$/, ''));
    for (const f of files) expect(copied).toContain(f);
    expect(copied.filter((c) => /^(test|bench|cdk|engine|readers)$/.test(c))).toEqual([]);
    // The build stage compiles with the same tsconfig the package test packs with.
    expect(all.flatMap((s) => of(s.instructions, 'RUN').map(content))).toContain(
      'npx tsc -p tsconfig.build.json',
    );
  });

  it('runs as the unprivileged node user, under tini, with a writable home on a volume', () => {
    const user = of(final.instructions, 'USER').map(content);
    expect(user).toEqual(['node']);
    const entry = execForm(of(final.instructions, 'ENTRYPOINT')[0]!);
    expect(entry.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(entry.slice(2)).toEqual(['node', '/opt/snapscan/bin/snapscan.js']);
    expect(of(final.instructions, 'RUN').map(content).join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
    const env = of(final.instructions, 'ENV').map(content).join(' ');
    const home = /SNAPSCAN_HOME=(\S+)/.exec(env)![1]!;
    expect(of(final.instructions, 'VOLUME').map(content)).toEqual([`["${home}"]`]);
    expect(of(final.instructions, 'RUN').map(content).join('\n')).toContain(`chown node:node ${home}`);
  });

  it('HEALTHCHECK runs `snapscan health`, a command the CLI has', async () => {
    const hc = of(final.instructions, 'HEALTHCHECK')[0]!;
    const cmd = execForm(hc);
    expect(cmd).toEqual(['node', '/opt/snapscan/bin/snapscan.js', 'health']);
    const r = await runNode([path.join(REPO_ROOT, 'bin/snapscan.js'), 'health', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: snapscan health/);
  });

  it('.dockerignore leaves only what the stages copy in the build context, and every copied path exists', () => {
    const lines = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('**');
    const included = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    for (const bad of ['node_modules', 'dist', 'test', 'bench', 'cdk', '.git', '.cache', 'docs'])
      expect(included).not.toContain(bad);
    const sources = all
      .flatMap((s) => of(s.instructions, 'COPY'))
      .filter((c) => !full(c).startsWith('--from='))
      .flatMap((c) =>
        c
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      );
    for (const src of sources) {
      expect(included, src).toContain(src);
      expect(existsSync(path.join(REPO_ROOT, src)), src).toBe(true);
    }
  });
});
