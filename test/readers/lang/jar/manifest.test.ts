/** readers/lang/jar/manifest.ts: manifest main section, Java properties, file-name coordinates. */
import { describe, expect, it } from 'vitest';
import {
  coordinatesFromFileName,
  parseManifest,
  parseProperties,
} from '../../../../readers/lang/jar/manifest.js';

describe('readers/lang/jar/manifest', () => {
  it.each([
    {
      case: 'CRLF, case-insensitive names',
      text: 'Manifest-Version: 1.0\r\nIMPLEMENTATION-TITLE: x\r\n',
      key: 'implementation-title',
      want: 'x',
    },
    {
      case: 'continuation line',
      text: 'Bundle-SymbolicName: org.exa\n mple.foo\n',
      key: 'bundle-symbolicname',
      want: 'org.example.foo',
    },
    { case: 'only the main section', text: 'A: 1\n\nName: x\nB: 2\n', key: 'b', want: undefined },
    { case: 'first value kept', text: 'A: 1\nA: 2\n', key: 'a', want: '1' },
    { case: 'blank lines before the main section', text: '\n\nA: 1\n', key: 'a', want: '1' },
  ])('manifest: $case', ({ text, key, want }) => {
    expect(parseManifest(text).get(key)).toBe(want);
  });

  it.each([
    { case: 'key=value', text: 'version=1.0\n', key: 'version', want: '1.0' },
    { case: 'key: value and comments', text: '# c\n! c\nversion : 2.0\n', key: 'version', want: '2.0' },
    { case: 'whitespace separator', text: 'version 3.0', key: 'version', want: '3.0' },
    { case: 'continuation', text: 'version=1.\\\n    2\n', key: 'version', want: '1.2' },
    { case: 'escaped backslash is no continuation', text: 'a=x\\\\\nversion=4', key: 'version', want: '4' },
    { case: 'unicode escape', text: 'name=caf\\u00e9', key: 'name', want: 'café' },
    { case: 'last wins', text: 'v=1\nv=2\n', key: 'v', want: '2' },
  ])('properties: $case', ({ text, key, want }) => {
    expect(parseProperties(text).get(key)).toBe(want);
  });

  it.each([
    {
      path: '/x/spring-core-5.3.4-SNAPSHOT.jar',
      want: { artifactId: 'spring-core', version: '5.3.4-SNAPSHOT' },
    },
    { path: 'commons-lang3-3.12.0.jar', want: { artifactId: 'commons-lang3', version: '3.12.0' } },
    {
      path: 'hadoop-shaded-guava-1.1.0-SNAPSHOT.jar',
      want: { artifactId: 'hadoop-shaded-guava', version: '1.1.0-SNAPSHOT' },
    },
    { path: 'nested.jar', want: undefined },
  ])('file name $path', ({ path, want }) => {
    expect(coordinatesFromFileName(path)).toEqual(want);
  });
});
