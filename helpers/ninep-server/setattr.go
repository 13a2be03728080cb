// Tsetattr: mode, owner, size and times of one file, each changed on a descriptor opened without
// following a symlink (a symlink itself keeps its mode and times; only its owner can change).
package main

import (
	"syscall"
	"time"
)

// The valid bits of Tsetattr.
const (
	setMode     = 0x1
	setUID      = 0x2
	setGID      = 0x4
	setSize     = 0x8
	setAtime    = 0x10
	setMtime    = 0x20
	setAtimeSet = 0x80
	setMtimeSet = 0x100
)

func (c *conn) setattr(d *decoder) error {
	n, valid, mode, uid, gid, size := d.u32(), d.u32(), d.u32(), d.u32(), d.u32(), d.u64()
	asec, ansec, msec, mnsec := d.u64(), d.u64(), d.u64(), d.u64()
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if valid&(setMode|setUID|setGID|setSize|setAtime|setMtime) == 0 {
		return nil // ctime only: the host sets it itself
	}
	if err := c.writable(); err != nil {
		return err
	}
	dir, name, err := c.s.parent(f.path)
	if err != nil {
		return err
	}
	defer dir.close()
	cur, err := dir.lstat(name)
	if f.file != nil {
		cur, err = f.file.stat()
	}
	if err != nil {
		return err
	}
	if valid&(setUID|setGID) != 0 {
		u, g := -1, -1
		if valid&setUID != 0 {
			u = int(uid)
		}
		if valid&setGID != 0 {
			g = int(gid)
		}
		// As QEMU's security_model=none: the host user cannot give files away (nor can any owner
		// change on Windows, where chown is EPERM unless it names the owner reported), and a guest's
		// chown (package managers, entrypoints) must not fail for it.
		if err := dir.chown(name, u, g); err != nil && err != syscall.EPERM {
			return err
		}
	}
	if isSymlink(cur) && f.file == nil {
		return nil
	}
	h := f.file
	if h == nil {
		// A handle of the file itself (never through a symlink); write access only to truncate.
		if h, err = dir.openAttrs(name, valid&setSize != 0); err == syscall.EACCES && valid&^0x40 == setMode {
			// A file its owner cannot read (chmod 000): its mode still changes. cur is not a symlink,
			// and no request of the guest can replace it meanwhile (Server.mu).
			return dir.chmod(name, mode&0o7777)
		}
		if err != nil {
			return err
		}
		defer h.close()
	}
	if valid&setMode != 0 {
		if err := h.chmod(mode & 0o7777); err != nil {
			return err
		}
	}
	if valid&setSize != 0 {
		if err := h.truncate(int64(size)); err != nil {
			return err
		}
	}
	if valid&(setAtime|setMtime) != 0 {
		now := time.Now()
		at, mt := cur.atime, cur.mtime
		if valid&setAtime != 0 {
			at = syscall.NsecToTimespec(now.UnixNano())
			if valid&setAtimeSet != 0 {
				at = syscall.Timespec{Sec: int64(asec), Nsec: int64(ansec)}
			}
		}
		if valid&setMtime != 0 {
			mt = syscall.NsecToTimespec(now.UnixNano())
			if valid&setMtimeSet != 0 {
				mt = syscall.Timespec{Sec: int64(msec), Nsec: int64(mnsec)}
			}
		}
		if err := h.setTimes(at, mt); err != nil {
			return err
		}
	}
	return nil
}
