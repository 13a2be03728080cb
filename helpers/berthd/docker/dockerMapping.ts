// Owns: turning Docker's list JSON (containers, images, volumes, `system df`) into the shapes of
// helpers/api/docker.ts. Pure functions, tested against JSON recorded from a real Berth VM.
import type Dockerode from 'dockerode';
import { containerStateSchema, type ContainerSummary, type ImageSummary, type VolumeSummary } from '../../api/docker.ts';

type Port = ContainerSummary['ports'][number];

/** The part of `GET /system/df` berthd reads: volume sizes and how many containers use each. */
export type DockerDiskUsage = {
  Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } | null }[] | null;
};

function portType(t: string): Port['type'] {
  return t === 'udp' || t === 'sctp' ? t : 'tcp';
}

/**
 * Docker lists a port published on all addresses twice (0.0.0.0 and ::): keep one entry per
 * private port, public port and protocol (the first, IPv4, one), sorted by private port.
 */
export function mapPorts(ports: Dockerode.Port[] | null | undefined): Port[] {
  const seen = new Set<string>();
  const out: Port[] = [];
  for (const p of ports ?? []) {
    const type = portType(p.Type);
    const key = `${p.PrivatePort}/${type}/${p.PublicPort ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ privatePort: p.PrivatePort, ...(p.PublicPort ? { publicPort: p.PublicPort } : {}), type, ...(p.IP ? { ip: p.IP } : {}) });
  }
  return out.sort((a, b) => a.privatePort - b.privatePort || (a.publicPort ?? 0) - (b.publicPort ?? 0) || a.type.localeCompare(b.type));
}

export function mapContainer(c: Dockerode.ContainerInfo): ContainerSummary {
  const state = containerStateSchema.safeParse(c.State);
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    command: c.Command ?? '',
    // A state this version of Berth does not know (a newer Docker) reads as dead rather than breaking the list.
    state: state.success ? state.data : 'dead',
    status: c.Status ?? '',
    created: c.Created,
    ports: mapPorts(c.Ports),
  };
}

/** Containers, newest first (as `docker ps -a` orders them). */
export function mapContainers(list: Dockerode.ContainerInfo[]): ContainerSummary[] {
  return list.map(mapContainer).sort((a, b) => b.created - a.created || a.name.localeCompare(b.name));
}

/** repo:tag names without Docker's `<none>:<none>` placeholder of a dangling image. */
function tagsOf(repoTags: string[] | null | undefined): string[] {
  return (repoTags ?? []).filter((t) => t !== '<none>:<none>');
}

/**
 * Images, newest first. Docker's image list says -1 containers unless it was asked to count:
 * `containers` (every container, running or not) fills that in by image id.
 */
export function mapImages(images: Dockerode.ImageInfo[], containers?: Pick<Dockerode.ContainerInfo, 'ImageID'>[]): ImageSummary[] {
  const using = new Map<string, number>();
  for (const c of containers ?? []) using.set(c.ImageID, (using.get(c.ImageID) ?? 0) + 1);
  return images
    .map((i) => ({
      id: i.Id,
      tags: tagsOf(i.RepoTags),
      size: i.Size,
      created: i.Created,
      containers: i.Containers >= 0 ? i.Containers : containers ? (using.get(i.Id) ?? 0) : -1,
    }))
    .sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
}

/** Volumes by name; size and refCount from `system df` when it answered, -1 otherwise. */
export function mapVolumes(volumes: Dockerode.VolumeInspectInfo[] | null | undefined, df?: DockerDiskUsage): VolumeSummary[] {
  const usage = new Map<string, { Size: number; RefCount: number }>();
  for (const v of df?.Volumes ?? []) if (v.UsageData) usage.set(v.Name, v.UsageData);
  return (volumes ?? [])
    .map((v) => {
      const u = usage.get(v.Name);
      const created = (v as { CreatedAt?: string }).CreatedAt;
      return {
        name: v.Name,
        driver: v.Driver,
        mountpoint: v.Mountpoint,
        size: u && u.Size >= 0 ? u.Size : -1,
        refCount: u && u.RefCount >= 0 ? u.RefCount : -1,
        ...(created ? { created } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
