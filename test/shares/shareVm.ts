// Harness for suites that boot the image with host folders shared (9p or virtiofs): QEMU optionally
// as an unprivileged user (setpriv), the virtiofsd daemons, the guest link with a guest shell
// (berth-agent's exec stream), and a host Docker socket for the real docker CLI. stop() ends the
// QEMU and every virtiofsd it started, by PID.
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { DockerSocketServer } from '../../helpers/berthd/forward/dockerSocketServer.ts';
import { runInGuest } from '../../helpers/berthd/guest/execSession.ts';
import { LinkSession } from '../../helpers/berthd/guest/linkSession.ts';
import { qemuArgs } from '../../helpers/berthd/hypervisors/qemuArgs.ts';
import { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import { VirtiofsdGroup, type VirtiofsCache } from '../../helpers/berthd/hypervisors/virtiofsd.ts';
import { writeConfigDisk, type GuestConfig } from '../../helpers/berthd/vm/configDisk.ts';
import type { SharesPlan } from '../../helpers/berthd/vm/sharesPlan.ts';
import { createQcow2, imageVmConfig } from '../image/imageVm.ts';

export const BOOT_TIMEOUT = 300_000;

export type GuestRun = { code: number; out: string; err: string; stdout: Buffer };

export type ShareVm = {
  vm: QemuProcess;
  vmDir: string;
  /** uid QEMU runs as (the owner files created through 9p get). */
  qemuUid: number;
  virtiofsd: VirtiofsdGroup | undefined;
  /** Run a shell script in the guest as root; `env` values reach it byte for byte. */
  sh: (script: string, env?: Record<string, string>, timeoutMs?: number) => Promise<GuestRun>;
  /** A host unix socket speaking to the guest's dockerd (start it with serveDocker). */
  serveDocker: () => Promise<string>;
  stop: () => Promise<void>;
};

export type ShareVmOptions = {
  /** A fresh directory (workDir): the VM's own files go to <dir>/vm. */
  dir: string;
  layout: Pick<SharesPlan, 'qemu' | 'guestMounts' | 'virtiofsd'>;
  /** More mount lines for the config disk (e.g. one that must fail). */
  extraMounts?: NonNullable<GuestConfig['mounts']>;
  /** Run QEMU as this uid/gid (needs root and setpriv); the caller's own user when absent. */
  runAs?: { uid: number; gid: number };
  virtiofsCache?: VirtiofsCache;
  memoryMiB?: number;
  cmdlineExtra?: string;
  name?: string;
  tcgThread?: 'single' | 'multi';
};

export async function bootShareVm(o: ShareVmOptions): Promise<ShareVm> {
  const vmDir = join(o.dir, 'vm');
  mkdirSync(vmDir);
  chmodSync(o.dir, 0o711);
  const disk = join(vmDir, 'data.qcow2');
  createQcow2(disk, '4G');
  const configDisk = join(vmDir, 'config.tar');
  writeConfigDisk(configDisk, { hostname: 'berth-shares', mounts: [...o.layout.guestMounts, ...(o.extraMounts ?? [])] });
  if (o.runAs) for (const p of [vmDir, disk, configDisk]) chownSync(p, o.runAs.uid, o.runAs.gid);

  const virtiofsd = o.layout.virtiofsd.length > 0 ? await VirtiofsdGroup.start(o.layout.virtiofsd, { cache: o.virtiofsCache ?? 'none', logFile: (i) => join(vmDir, `virtiofsd-${i}.log`) }) : undefined;
  const guestLinkSocket = join(vmDir, 'link.sock');
  const config = { ...imageVmConfig(vmDir, { disk, configDisk, shares: o.layout.qemu, guestLinkSocket, cmdlineExtra: o.cmdlineExtra, name: o.name, tcgThread: o.tcgThread }), ...(o.memoryMiB ? { memoryMiB: o.memoryMiB } : {}) };
  let vm: QemuProcess;
  try {
    vm = o.runAs
      ? QemuProcess.spawnArgv(['--reuid', String(o.runAs.uid), '--regid', String(o.runAs.gid), '--clear-groups', '--', 'qemu-system-x86_64', ...qemuArgs(config)], { consoleLog: config.consoleLog, qmpSocket: config.qmpSocket }, 'setpriv')
      : QemuProcess.start(config);
  } catch (e) {
    await virtiofsd?.stop();
    throw e;
  }
  let socket: Socket | undefined;
  let session: LinkSession | undefined;
  let docker: DockerSocketServer | undefined;
  const stop = async (): Promise<void> => {
    session?.close();
    socket?.destroy();
    await docker?.close();
    await vm.kill();
    await virtiofsd?.stop();
  };
  try {
    await vm.console.waitFor(/^berth: config loaded/, BOOT_TIMEOUT);
    socket = await new Promise<Socket>((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const attempt = (): void => {
        const s = connect(guestLinkSocket);
        s.once('connect', () => resolve(s));
        s.once('error', (e) => (Date.now() > deadline || !vm.running ? reject(e) : setTimeout(attempt, 200)));
      };
      attempt();
    });
    const s = new LinkSession(socket);
    session = s;
    const hello = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`berth-agent did not answer on the guest link:\n${vm.console.tail(30)}`)), BOOT_TIMEOUT);
      s.once('hello', () => (clearTimeout(t), resolve()));
    });
    s.start();
    await hello;
  } catch (e) {
    await stop();
    throw e;
  }
  const open = () => session!.open('exec');
  return {
    vm,
    vmDir,
    qemuUid: o.runAs?.uid ?? process.getuid!(),
    virtiofsd,
    sh: async (script, env = {}, timeoutMs = 120_000) => {
      const r = await runInGuest(open, ['/bin/sh', '-c', script], { env: Object.entries(env).map(([k, v]) => `${k}=${v}`), timeoutMs });
      return { code: r.code, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8'), stdout: r.stdout };
    },
    serveDocker: async () => {
      if (!docker) {
        docker = new DockerSocketServer(join(vmDir, 'docker.sock'), () => session!.open('docker'));
        await docker.listen();
      }
      return docker.path;
    },
    stop,
  };
}
