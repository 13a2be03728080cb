// Owns: tests of dockerMapping.ts against Docker JSON recorded from a real Berth VM (fixtures/: Docker
// 20.10 — `docker run` of web with ports and a volume, done (exited 3), fresh (created), tty; system df).
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { containerSummarySchema, imageSummarySchema, volumeSummarySchema } from '../../api/docker.ts';
import { mapContainers, mapImages, mapPorts, mapVolumes, type DockerDiskUsage } from './dockerMapping.ts';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
const containers = fixture<Dockerode.ContainerInfo[]>('containers.json');
const images = fixture<Dockerode.ImageInfo[]>('images.json');
const volumes = fixture<{ Volumes: Dockerode.VolumeInspectInfo[] }>('volumes.json');
const df = fixture<DockerDiskUsage>('df.json');

describe('mapContainers (recorded)', () => {
  const list = mapContainers(containers);

  it('keeps stopped and created containers, newest first, names without the slash', () => {
    expect(list.map((c) => [c.name, c.state])).toEqual([
      ['fresh', 'created'],
      ['tty', 'running'],
      ['done', 'exited'],
      ['web', 'running'],
    ]);
    for (const c of list) expect(containerSummarySchema.parse(c)).toEqual(c);
  });

  it("keeps Docker's status words, the command, the image and the full id", () => {
    const done = list.find((c) => c.name === 'done')!;
    expect(done.status).toMatch(/^Exited \(3\) \d+ seconds ago$/);
    expect(done.command).toBe("sh -c 'echo out; echo err >&2; exit 3'");
    expect(done.image).toBe('berth-test/busybox:latest');
    expect(done.id).toMatch(/^[0-9a-f]{64}$/);
    expect(done.created).toBe(1796047138);
  });

  it('lists a port published on 0.0.0.0 and :: once, with udp and the bound address kept', () => {
    expect(list.find((c) => c.name === 'web')!.ports).toEqual([
      { privatePort: 53, publicPort: 5353, type: 'udp', ip: '127.0.0.1' },
      { privatePort: 80, publicPort: 8089, type: 'tcp', ip: '0.0.0.0' },
    ]);
    expect(list.find((c) => c.name === 'tty')!.ports).toEqual([]);
  });
});

describe('mapPorts', () => {
  it('an exposed port that is not published has no publicPort or ip', () => {
    expect(mapPorts([{ PrivatePort: 8080, Type: 'tcp' } as Dockerode.Port])).toEqual([{ privatePort: 8080, type: 'tcp' }]);
    expect(mapPorts(null)).toEqual([]);
  });
});

describe('mapContainer with what a newer Docker might send', () => {
  it('an unknown state reads as dead; a missing name falls back to the short id', () => {
    const odd = { ...containers[0]!, State: 'hibernating', Names: [] } as Dockerode.ContainerInfo;
    const [c] = mapContainers([odd]);
    expect(c!.state).toBe('dead');
    expect(c!.name).toBe(odd.Id.slice(0, 12));
  });
});

describe('mapImages (recorded)', () => {
  it('counts the containers using an image when Docker says -1, and keeps every tag', () => {
    expect(images[0]!.Containers).toBe(-1);
    const [img] = mapImages(images, containers);
    expect(img).toEqual({ id: images[0]!.Id, tags: ['berth-test/busybox:latest', 'berth-test/other:v2'], size: 1984132, created: 1796047126, containers: 4 });
    expect(imageSummarySchema.parse(img)).toEqual(img);
  });

  it('without the container list the count stays unknown (-1); a dangling image has no tags', () => {
    const dangling = { ...images[0]!, Id: 'sha256:abc', RepoTags: ['<none>:<none>'], Created: 1 } as Dockerode.ImageInfo;
    const untagged = { ...images[0]!, Id: 'sha256:def', RepoTags: undefined, Created: 2 } as Dockerode.ImageInfo;
    const list = mapImages([dangling, untagged, images[0]!]);
    expect(list.map((i) => [i.id, i.tags, i.containers])).toEqual([
      [images[0]!.Id, ['berth-test/busybox:latest', 'berth-test/other:v2'], -1],
      ['sha256:def', [], -1],
      ['sha256:abc', [], -1],
    ]);
  });
});

describe('mapVolumes (recorded)', () => {
  it('takes size and refCount from system df', () => {
    const list = mapVolumes(volumes.Volumes, df);
    expect(list).toEqual([{ name: 'capdata', driver: 'local', mountpoint: '/var/lib/docker/volumes/capdata/_data', size: 100000, refCount: 1, created: '2026-11-30T13:58:52Z' }]);
    for (const v of list) expect(volumeSummarySchema.parse(v)).toEqual(v);
  });

  it('says -1 for size and refCount without system df, or when df did not measure a volume', () => {
    expect(mapVolumes(volumes.Volumes).map((v) => [v.size, v.refCount])).toEqual([[-1, -1]]);
    const unmeasured: DockerDiskUsage = { Volumes: [{ Name: 'capdata', UsageData: { Size: -1, RefCount: -1 } }] };
    expect(mapVolumes(volumes.Volumes, unmeasured).map((v) => [v.size, v.refCount])).toEqual([[-1, -1]]);
    expect(mapVolumes(null, df)).toEqual([]);
  });
});
