/** lang/nuget: .deps.json libraries of type package; projects and references are not packages. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { nugetCataloger } from '../../../../readers/lang/nuget/index.js';

const ctx = { fs: undefined as never, limits: { ...DEFAULT_LIMITS } };
const path = '/opt/app/MyApp.deps.json';
const run = (text: string) => nugetCataloger.catalog({ path, bytes: Buffer.from(text) }, ctx);

describe('readers/lang/nuget', () => {
  it('lists NuGet packages, not the project or framework references', async () => {
    const res = await run(
      JSON.stringify({
        runtimeTarget: { name: '.NETCoreApp,Version=v6.0' },
        targets: { '.NETCoreApp,Version=v6.0': {} },
        libraries: {
          'MyApp/1.0.0': { type: 'project', serviceable: false, sha512: '' },
          'Newtonsoft.Json/13.0.1': {
            type: 'package',
            serviceable: true,
            sha512: 'sha512-abc',
            path: 'newtonsoft.json/13.0.1',
          },
          'System.Text.Encodings.Web/4.7.0': { type: 'package', serviceable: true },
          'Microsoft.CSharp/4.0.0.0': { type: 'reference' },
          'broken-key': { type: 'package' },
        },
      }),
    );
    expect(res.packages.map((p) => p.purl)).toEqual([
      'pkg:nuget/Newtonsoft.Json@13.0.1',
      'pkg:nuget/System.Text.Encodings.Web@4.7.0',
    ]);
    expect(res.errors.map((e) => e.error.code)).toEqual(['corrupt']);
  });

  it.each([
    { name: 'not JSON', text: '{' },
    { name: 'no libraries', text: '{"targets": {}}' },
  ])('$name → one corrupt error', async ({ text }) => {
    const res = await run(text);
    expect(res.packages).toEqual([]);
    expect(res.errors.map((e) => e.error.code)).toEqual(['corrupt']);
  });
});
