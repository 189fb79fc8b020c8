/** Operating system of a filesystem, as the distro's own release files say. */
export interface OsInfo {
  /** Normalised family: debian, ubuntu, alpine, amazon, redhat, centos, rocky, alma, oracle, fedora, suse… */
  family: string;
  /** os-release ID as written. */
  id: string;
  /** Version as scanners report it (trivy style: `12.5`, `2 (Karoo)`, `3.19.1`). */
  name: string;
  /** os-release VERSION_ID when present. */
  versionId?: string;
  codename?: string;
  prettyName?: string;
  cpe?: string;
  /** os-release ID_LIKE, split (e.g. `rhel fedora` → ['rhel', 'fedora']). */
  idLike?: string[];
  /** Which file decided it. */
  source: string;
}
