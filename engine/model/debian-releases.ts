/**
 * Debian codename → release version (https://www.debian.org/releases/). One table for the OS
 * detection, the tracker ingest and the advisory namespaces.
 */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  hamm: '2',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};
