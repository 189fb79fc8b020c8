/** lang/composer: both installed.json shapes (Composer 1 array, Composer 2 object), bad entries, bad files. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import { composerCataloger } from '../../../../readers/lang/composer/index.js';

const ctx = { fs: undefined as never, limits: { ...DEFAULT_LIMITS } };
const path = '/var/www/app/vendor/composer/installed.json';
const run = (text: string) => composerCataloger.catalog({ path, bytes: Buffer.from(text) }, ctx);

describe('readers/lang/composer', () => {
  it.each([
    {
      name: 'composer 2 object with dev names',
      text: JSON.stringify({
        packages: [
          { name: 'symfony/http-kernel', version: 'v5.4.1', version_normalized: '5.4.1.0', license: ['MIT'] },
          { name: 'phpunit/phpunit', version: '9.5.10' },
        ],
        dev: true,
        'dev-package-names': ['phpunit/phpunit'],
      }),
      want: [
        { id: 'pkg:composer/symfony/http-kernel@v5.4.1', dev: false, licenses: ['MIT'] },
        { id: 'pkg:composer/phpunit/phpunit@9.5.10', dev: true, licenses: undefined },
      ],
      errors: 0,
    },
    {
      name: 'composer 1 array, one entry without a version',
      text: JSON.stringify([
        { name: 'monolog/monolog', version: '1.25.1', license: 'MIT' },
        { name: 'x/y' },
        7,
      ]),
      want: [{ id: 'pkg:composer/monolog/monolog@1.25.1', dev: false, licenses: ['MIT'] }],
      errors: 2,
    },
  ])('$name', async ({ text, want, errors }) => {
    const res = await run(text);
    expect(res.packages.map((p) => ({ id: p.purl, dev: p.metadata?.dev, licenses: p.licenses }))).toEqual(
      want,
    );
    expect(res.errors).toHaveLength(errors);
    for (const e of res.errors) expect(e.error.code).toBe('corrupt');
  });

  it.each([
    { name: 'not JSON', text: '{"packages": [' },
    { name: 'no packages array', text: '{"packages": 3}' },
  ])('$name → one corrupt error, no packages', async ({ text }) => {
    const res = await run(text);
    expect(res.packages).toEqual([]);
    expect(res.errors.map((e) => e.error.code)).toEqual(['corrupt']);
  });

  it('wants only vendor/composer/installed.json', () => {
    expect(composerCataloger.wants!(path, { type: 'file' })).toBe(true);
    expect(composerCataloger.wants!('/var/www/app/composer.lock', { type: 'file' })).toBe(false);
  });
});
