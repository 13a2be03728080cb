// Owns: tests of dockerResources.ts and dockerErrors.ts through real dockerode against a fake Docker
// HTTP server answering with bodies recorded from a real VM (fixtures/errors.json): words, codes, hints.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../control/controlServer.ts';
import { dockerHttpError, dockerMessage } from './dockerErrors.ts';
import { imageRemovedMessage, shortRef, type DockerResources } from './dockerResources.ts';
import { startFakeDocker, type FakeDockerServer } from './fakeDockerServer.ts';

type Recorded = { statusCode: number; reason?: string; json: { message: string } | null; message: string };
const recorded = JSON.parse(readFileSync(new URL('./fixtures/errors.json', import.meta.url), 'utf8')) as Record<string, Recorded>;
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const webId = 'e470d557e9698fc5ecb51c18787f497ecc0225a57f34f9de54372ad7c73cacc7';

let fake: FakeDockerServer;
let docker: DockerResources;
beforeEach(async () => ({ fake, docker } = await startFakeDocker()));
afterEach(() => fake.close());

/** Answer a route the way Docker did in the recording. */
function answerAsRecorded(method: string, path: string, name: string): void {
  const r = recorded[name]!;
  fake.on(method, path, (_req, res) => {
    if (r.statusCode === 304) return void res.writeHead(304).end();
    const body = JSON.stringify(r.json);
    res.writeHead(r.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

async function failure(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error('expected a failure');
}

describe('container actions', () => {
  it('answers each action in plain words, with a long id shortened', async () => {
    for (const a of ['start', 'stop', 'restart', 'pause', 'unpause', 'kill'] as const) fake.on('POST', `/containers/web/${a}`, { status: 204, json: '' });
    fake.on('DELETE', '/containers/web', { status: 204, json: '' });
    fake.on('POST', `/containers/${webId}/stop`, { status: 204, json: '' });
    expect(await docker.containerAction('web', 'start', false)).toEqual({ message: 'web started' });
    expect(await docker.containerAction('web', 'stop', false)).toEqual({ message: 'web stopped' });
    expect(await docker.containerAction('web', 'restart', false)).toEqual({ message: 'web restarted' });
    expect(await docker.containerAction('web', 'pause', false)).toEqual({ message: 'web paused' });
    expect(await docker.containerAction('web', 'unpause', false)).toEqual({ message: 'web unpaused' });
    expect(await docker.containerAction('web', 'kill', false)).toEqual({ message: 'web killed' });
    expect(await docker.containerAction('web', 'remove', true)).toEqual({ message: 'web removed' });
    expect(fake.requests.find((r) => r.method === 'DELETE')!.query.get('force')).toBe('true');
    expect(await docker.containerAction(webId, 'stop', false)).toEqual({ message: 'e470d557e969 stopped' });
  });

  it("Docker's 304 (already in that state) is an answer, not an error", async () => {
    answerAsRecorded('POST', '/containers/web/start', 'startStarted');
    answerAsRecorded('POST', '/containers/done/stop', 'stopStopped');
    expect(await docker.containerAction('web', 'start', false)).toEqual({ message: 'web was already running' });
    expect(await docker.containerAction('done', 'stop', false)).toEqual({ message: 'done was already stopped' });
  });

  it('a missing container is 404 not-found, saying so and what to do', async () => {
    answerAsRecorded('POST', '/containers/nope/start', 'startMissing');
    const e = await failure(docker.containerAction('nope', 'start', false));
    expect(e.status).toBe(404);
    expect(e.body).toEqual({ code: 'not-found', message: 'there is no container nope', hint: 'it may have been removed already; refresh the list (docker ps -a shows every container)' });
  });

  it('removing a running container is 409 conflict: remove it with force or stop it first', async () => {
    answerAsRecorded('DELETE', '/containers/web', 'removeRunning');
    const e = await failure(docker.containerAction('web', 'remove', false));
    expect(e.status).toBe(409);
    expect(e.body.code).toBe('conflict');
    expect(e.body.message).toBe(`cannot remove web: ${recorded.removeRunning!.json!.message}`);
    expect(e.body.hint).toBe('remove it with force or stop it first (stop web, then remove it)');
  });

  it('pause or kill of a stopped container, unpause of a running one: 409 with what to do', async () => {
    answerAsRecorded('POST', '/containers/done/pause', 'pauseStopped');
    answerAsRecorded('POST', '/containers/done/kill', 'killStopped');
    answerAsRecorded('POST', '/containers/web/unpause', 'unpauseRunning');
    const pause = await failure(docker.containerAction('done', 'pause', false));
    expect([pause.status, pause.body.code, pause.body.hint]).toEqual([409, 'conflict', 'start done first']);
    const kill = await failure(docker.containerAction('done', 'kill', false));
    expect([kill.status, kill.body.hint]).toEqual([409, 'start done first']);
    // Docker 20.10 says 500 here; it is a conflict all the same.
    const unpause = await failure(docker.containerAction('web', 'unpause', false));
    expect([unpause.status, unpause.body.code, unpause.body.hint]).toEqual([409, 'conflict', 'web is not paused: refresh the list and try again']);
  });

  it('inspect answers Docker\'s JSON; a missing container is 404', async () => {
    fake.on('GET', '/containers/web/json', { json: { Id: webId, Name: '/web', Config: { Tty: false } } });
    answerAsRecorded('GET', '/containers/nope/json', 'inspectMissing');
    expect(await docker.inspectContainer('web')).toEqual({ Id: webId, Name: '/web', Config: { Tty: false } });
    expect((await failure(docker.inspectContainer('nope'))).status).toBe(404);
  });
});

describe('images and volumes', () => {
  it('image remove says what was untagged and removed; conflicts say to remove the containers first', async () => {
    fake.on('DELETE', '/images/berth-test/committed:1', { json: fixture('image-remove.json') });
    expect(await docker.removeImage('berth-test/committed:1', false)).toEqual({ message: 'image berth-test/committed:1 removed (untagged berth-test/committed:1)' });
    answerAsRecorded('DELETE', '/images/berth-test/other:v2', 'imageRemoveTagInUse');
    const e = await failure(docker.removeImage('berth-test/other:v2', false));
    expect([e.status, e.body.code]).toEqual([409, 'conflict']);
    expect(e.body.message).toContain('container e470d557e969 is using its referenced image');
    expect(e.body.hint).toBe('remove the containers that use it first (docker ps -a lists them), or remove it with force');
    answerAsRecorded('DELETE', '/images/nope:latest', 'imageRemoveMissing');
    expect((await failure(docker.removeImage('nope:latest', false))).body.message).toBe('there is no image nope:latest');
  });

  it('volume remove; a volume in use is 409 naming the filter that lists its containers', async () => {
    fake.on('DELETE', '/volumes/old', { status: 204, json: '' });
    expect(await docker.removeVolume('old', false)).toEqual({ message: 'volume old removed' });
    answerAsRecorded('DELETE', '/volumes/capdata', 'volumeRemoveInUse');
    const e = await failure(docker.removeVolume('capdata', false));
    expect([e.status, e.body.hint]).toEqual([409, 'remove the containers that use it first (docker ps -a --filter volume=capdata lists them)']);
    answerAsRecorded('DELETE', '/volumes/nope', 'volumeRemoveMissing');
    expect((await failure(docker.removeVolume('nope', false))).body).toMatchObject({ code: 'not-found', message: 'there is no volume nope' });
  });

  it('lists through dockerode: containers with all=true, images counted, volumes sized by df (or -1 without it)', async () => {
    fake.on('GET', '/containers/json', { json: fixture('containers.json') });
    fake.on('GET', '/images/json', { json: fixture('images.json') });
    fake.on('GET', '/volumes', { json: fixture('volumes.json') });
    expect((await docker.containers()).map((c) => c.name)).toEqual(['fresh', 'tty', 'done', 'web']);
    expect(fake.requests.find((r) => r.path === '/containers/json')!.query.get('all')).toBe('true');
    expect((await docker.images())[0]!.containers).toBe(4);
    expect((await docker.volumes())[0]).toMatchObject({ name: 'capdata', size: -1, refCount: -1 });
    fake.on('GET', '/system/df', { json: fixture('df.json') });
    expect((await docker.volumes())[0]).toMatchObject({ name: 'capdata', size: 100000, refCount: 1 });
  });
});

describe('dockerHttpError', () => {
  it("takes Docker's message from its JSON, or from dockerode's text when the JSON is empty (a failed pull)", () => {
    expect(dockerMessage(Object.assign(new Error(recorded.inspectMissing!.message), recorded.inspectMissing))).toBe('No such container: nope');
    const pull = { statusCode: 500, json: null, message: '(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host ' };
    expect(dockerMessage(Object.assign(new Error(pull.message), pull))).toBe('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host');
  });

  it('a socket that does not answer is 503 docker-unreachable; an unknown failure is 500 with the docker log named', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /x/docker.sock'), { code: 'ECONNREFUSED' });
    expect(dockerHttpError(refused, { kind: 'docker', action: 'list containers' }).body).toEqual({
      code: 'docker-unreachable',
      message: 'Docker in the VM did not answer (list containers): connect ECONNREFUSED /x/docker.sock',
      hint: 'wait a moment if the VM is starting; otherwise restart it (berth restart)',
    });
    const odd = dockerHttpError(new Error('boom'), { kind: 'container', ref: 'web', action: 'start' });
    expect([odd.status, odd.body.code, odd.body.message, odd.body.hint]).toEqual([500, 'docker-failed', 'start web failed: boom', 'see the docker log (berth logs docker)']);
    const server = dockerHttpError(Object.assign(new Error('x'), { statusCode: 500, json: { message: 'driver failed' } }), { kind: 'container', ref: 'web', action: 'start' });
    expect([server.status, server.body.code, server.body.message]).toEqual([502, 'docker-error', 'start web failed in Docker: driver failed']);
  });

  it('names: a 64-hex id (with or without sha256:) reads as 12 characters; names stay', () => {
    expect(shortRef(webId)).toBe('e470d557e969');
    expect(shortRef(`sha256:${webId}`)).toBe('e470d557e969');
    expect(shortRef('web')).toBe('web');
    expect(imageRemovedMessage('a:1', [{ Untagged: 'a:1' }])).toBe('a:1 untagged; the image stays because other tags still name it');
  });
});
