/**
 * Package URLs for OS packages (https://github.com/package-url/purl-spec, types deb, rpm, apk).
 *
 *   pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro=debian-12&upstream=pam
 *   pkg:apk/alpine/musl-utils@1.1.24-r2?arch=x86_64&distro=alpine-3.12.0&upstream=musl
 *   pkg:rpm/redhat/openssl@1:3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&upstream=openssl-3.0.7-27.el9.src.rpm
 *
 * The namespace is the distro's os-release ID (what syft and trivy use), the `distro` qualifier is
 * `<ID>-<VERSION_ID>`. Qualifiers come out sorted by key with empty values dropped (packageurl-js
 * does both), so the string is canonical and can key caches and goldens.
 */

import type { OsInfo } from '../../engine/model/os.js';

/** `debian-12`, `ubuntu-22.04`, `alpine-3.19.1`, `amzn-2023`; undefined when the OS is unknown. */
export function distroQualifier(os: OsInfo | undefined): string | undefined {
  if (!os?.id) return undefined;
  const v = os.versionId ?? os.name;
  return v ? `${os.id}-${v}` : os.id;
}

/** purl namespace: the os-release ID, lower-cased, else the ecosystem's default distro. */
export function purlNamespace(os: OsInfo | undefined, fallback: string): string {
  return os?.id ? os.id.toLowerCase() : fallback;
}
