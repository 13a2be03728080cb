// The portable host's primitives on Windows: every file is opened itself (CreateFile with
// FILE_FLAG_OPEN_REPARSE_POINT, so a symlink or junction is never passed through, and refused where
// a name-surrogate reparse point turns up), each directory of a walk is held without
// FILE_SHARE_DELETE so it cannot be renamed or swapped while a request uses its path, attributes
// come from GetFileInformationByHandle (the file index as ino), statfs from GetDiskFreeSpaceEx, and
// Windows errors become Linux errno values (winnames.go).
package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

const (
	fileReadAttributes       = 0x80       // FILE_READ_ATTRIBUTES
	reparseTagNameSurrogate  = 0x20000000 // a reparse tag that names another file (symlink, junction)
	fileAttributeTagInfo     = 9          // FILE_INFO_BY_HANDLE_CLASS FileAttributeTagInfo
	symlinkAllowUnprivileged = 0x2        // SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (Developer Mode)
	shareAll                 = syscall.FILE_SHARE_READ | syscall.FILE_SHARE_WRITE | syscall.FILE_SHARE_DELETE
	ntfsMagic                = 0x5346544e // what Linux's statfs calls NTFS
	errorInvalidParameter    = syscall.Errno(87)
	errorInvalidName         = syscall.Errno(123)
)

var (
	kernel32                         = syscall.NewLazyDLL("kernel32.dll")
	procGetFileInformationByHandleEx = kernel32.NewProc("GetFileInformationByHandleEx")
	procGetDiskFreeSpaceExW          = kernel32.NewProc("GetDiskFreeSpaceExW")
)

type pin struct{ h syscall.Handle }

func (p pin) release() { syscall.CloseHandle(p.h) }

// longPath is p in the \\?\ form: no length limit and no rewriting (names are checked beforehand).
func longPath(p string) (*uint16, error) {
	switch {
	case strings.HasPrefix(p, `\\?\`):
	case strings.HasPrefix(p, `\\`):
		p = `\\?\UNC\` + p[2:]
	default:
		p = `\\?\` + p
	}
	return syscall.UTF16PtrFromString(p)
}

// openSelf opens p itself: a reparse point is opened, not followed; a directory can be opened.
func openSelf(p string, access, share, disposition, attrs uint32) (syscall.Handle, error) {
	name, err := longPath(p)
	if err != nil {
		return syscall.InvalidHandle, err
	}
	h, err := syscall.CreateFile(name, access, share, nil, disposition, attrs|syscall.FILE_FLAG_BACKUP_SEMANTICS|syscall.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return syscall.InvalidHandle, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return h, nil
}

// attrTag is a handle's attributes and, for a reparse point, its tag.
func attrTag(h syscall.Handle) (attrs, tag uint32, err error) {
	var info struct{ attrs, tag uint32 }
	r, _, e := procGetFileInformationByHandleEx.Call(uintptr(h), fileAttributeTagInfo, uintptr(unsafe.Pointer(&info)), unsafe.Sizeof(info))
	if r == 0 {
		return 0, 0, e
	}
	return info.attrs, info.tag, nil
}

// redirects: a symlink, junction or other reparse point that names another file (not, say, a
// OneDrive placeholder, which is the file itself).
func redirects(attrs, tag uint32) bool {
	return attrs&syscall.FILE_ATTRIBUTE_REPARSE_POINT != 0 && tag&reparseTagNameSurrogate != 0
}

// pinDir opens the directory p itself and holds it: listing access shared for reading and writing
// but not deleting, so while held no one can rename or remove it (or put a junction in its place).
// A symlink or junction is ELOOP, a file ENOTDIR.
func pinDir(p string) (pin, error) {
	h, err := openSelf(p, syscall.FILE_LIST_DIRECTORY|fileReadAttributes, syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE, syscall.OPEN_EXISTING, 0)
	if err != nil {
		return pin{}, err
	}
	attrs, tag, err := attrTag(h)
	switch {
	case err != nil:
	case redirects(attrs, tag):
		err = syscall.ELOOP
	case attrs&syscall.FILE_ATTRIBUTE_DIRECTORY == 0:
		err = syscall.ENOTDIR
	}
	if err != nil {
		syscall.CloseHandle(h)
		return pin{}, err
	}
	return pin{h}, nil
}

func resolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// openedSelf checks that a handle openSelf gave is not a redirecting reparse point, as a file.
func openedSelf(h syscall.Handle, p string) (*os.File, error) {
	attrs, tag, err := attrTag(h)
	if err == nil && redirects(attrs, tag) {
		err = syscall.ELOOP
	}
	if err != nil {
		syscall.CloseHandle(h)
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(h), p), nil
}

// openNoFollow opens p itself with the guest's Linux flags (the dispositions of Go's syscall.Open);
// a file it creates is read-only unless mode lets its owner write. A directory's handle only
// answers stat. Attributes can always be read, and written where the file's ACL allows.
func openNoFollow(p string, lflags, mode uint32, dir bool) (*os.File, error) {
	var access uint32
	switch lflags & lOAccmode {
	case lORdonly:
		access = syscall.GENERIC_READ
	case lOWronly:
		access = syscall.GENERIC_WRITE
	default:
		access = syscall.GENERIC_READ | syscall.GENERIC_WRITE
	}
	if lflags&lOTrunc != 0 {
		access |= syscall.GENERIC_WRITE
	}
	var disposition uint32
	switch {
	case lflags&(lOCreat|lOExcl) == lOCreat|lOExcl:
		disposition = syscall.CREATE_NEW
	case lflags&(lOCreat|lOTrunc) == lOCreat|lOTrunc:
		disposition = syscall.CREATE_ALWAYS
	case lflags&lOCreat != 0:
		disposition = syscall.OPEN_ALWAYS
	case lflags&lOTrunc != 0:
		disposition = syscall.TRUNCATE_EXISTING
	default:
		disposition = syscall.OPEN_EXISTING
	}
	var attrs uint32 = syscall.FILE_ATTRIBUTE_NORMAL
	if lflags&lOCreat != 0 && mode&0o200 == 0 {
		attrs = syscall.FILE_ATTRIBUTE_READONLY
	}
	if dir {
		access = 0
	}
	access |= fileReadAttributes // stat and the reparse check, whatever the access mode
	h, err := openSelf(p, access|syscall.FILE_WRITE_ATTRIBUTES, shareAll, disposition, attrs)
	if errors.Is(err, syscall.ERROR_ACCESS_DENIED) {
		h, err = openSelf(p, access, shareAll, disposition, attrs)
	}
	if err != nil {
		return nil, err
	}
	return openedSelf(h, p)
}

// openAttrsNoFollow opens p itself to read and write its attributes (and its data, to truncate).
func openAttrsNoFollow(p string, truncate, dir bool) (*os.File, error) {
	access := uint32(fileReadAttributes | syscall.FILE_WRITE_ATTRIBUTES)
	if truncate {
		access |= syscall.GENERIC_WRITE
	}
	h, err := openSelf(p, access, shareAll, syscall.OPEN_EXISTING, 0)
	if err != nil {
		return nil, err
	}
	return openedSelf(h, p)
}

// lstatPath is p's attributes from a handle of p itself; where none can be opened, from its
// directory entry (os.Lstat), with a path hash for the file index.
func lstatPath(p string, own owner) (fileAttr, error) {
	h, err := openSelf(p, fileReadAttributes, shareAll, syscall.OPEN_EXISTING, 0)
	if err != nil {
		if os.IsNotExist(err) || errors.Is(err, errorInvalidName) {
			return fileAttr{}, err
		}
		return lstatEntry(p, own)
	}
	defer syscall.CloseHandle(h)
	return attrOfHandle(h, own)
}

func lstatEntry(p string, own owner) (fileAttr, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return fileAttr{}, err
	}
	size := uint64(fi.Size())
	a := fileAttr{
		mode: portableMode(fi.IsDir(), fi.Mode()&os.ModeSymlink != 0, fi.Mode().Perm()&0o200 == 0),
		uid:  own.uid, gid: own.gid, nlink: 1, size: size, blksize: 4096, blocks: (size + 511) / 512, ino: pathHash(p),
	}
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		a.atime = timespecOf(d.LastAccessTime)
		a.mtime = timespecOf(d.LastWriteTime)
		a.ctime = a.mtime
	}
	return a, nil
}

func statFile(f *os.File, own owner) (fileAttr, error) {
	return attrOfHandle(syscall.Handle(f.Fd()), own)
}

func attrOfHandle(h syscall.Handle, own owner) (fileAttr, error) {
	var d syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(h, &d); err != nil {
		return fileAttr{}, err
	}
	link := false
	if d.FileAttributes&syscall.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		if attrs, tag, err := attrTag(h); err == nil {
			link = redirects(attrs, tag)
		}
	}
	size := uint64(d.FileSizeHigh)<<32 | uint64(d.FileSizeLow)
	return fileAttr{
		mode: portableMode(d.FileAttributes&syscall.FILE_ATTRIBUTE_DIRECTORY != 0 && !link, link, d.FileAttributes&syscall.FILE_ATTRIBUTE_READONLY != 0),
		uid:  own.uid, gid: own.gid, nlink: uint64(d.NumberOfLinks), size: size, blksize: 4096, blocks: (size + 511) / 512,
		ino: uint64(d.FileIndexHigh)<<32 | uint64(d.FileIndexLow), dev: uint64(d.VolumeSerialNumber),
		atime: timespecOf(d.LastAccessTime), mtime: timespecOf(d.LastWriteTime), ctime: timespecOf(d.LastWriteTime),
	}, nil
}

func timespecOf(ft syscall.Filetime) syscall.Timespec {
	return syscall.NsecToTimespec(ft.Nanoseconds())
}

// statfsPath answers from GetDiskFreeSpaceEx of the export's volume (counted in 4 KiB blocks).
func statfsPath(p string) (fsStats, error) {
	name, err := syscall.UTF16PtrFromString(p)
	if err != nil {
		return fsStats{}, err
	}
	var avail, total, free uint64
	r, _, e := procGetDiskFreeSpaceExW.Call(uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&avail)), uintptr(unsafe.Pointer(&total)), uintptr(unsafe.Pointer(&free)))
	if r == 0 {
		return fsStats{}, e
	}
	const bsize = 4096
	return fsStats{typ: ntfsMagic, bsize: bsize, blocks: total / bsize, bfree: free / bsize, bavail: avail / bsize, namelen: maxNameUTF16}, nil
}

// symlinkRefused is a symlink Windows would not make, with what the user can do about it.
type symlinkRefused struct{ err error }

func (s symlinkRefused) Error() string {
	return "Windows refused to make a symlink (" + s.err.Error() + "): turn on Developer Mode (Settings → For developers) or run Berth as an administrator to let the VM make symlinks in shared folders"
}
func (s symlinkRefused) Unwrap() error { return s.err }

// makeSymlink makes a symlink to the guest's target (hostSymlinkTarget) without looking at where it
// leads: it is a directory symlink only when the target is one name beside it that is a directory
// (os.Symlink would stat any target, even a UNC path, which makes Windows connect to it).
func makeSymlink(target, p string) error {
	t := hostSymlinkTarget(target)
	var flags uint32
	if checkWindowsName(t) == nil {
		if fi, err := os.Lstat(filepath.Join(filepath.Dir(p), t)); err == nil && fi.IsDir() {
			flags = syscall.SYMBOLIC_LINK_FLAG_DIRECTORY
		}
	}
	name, err := longPath(p)
	if err != nil {
		return err
	}
	to, err := syscall.UTF16PtrFromString(t)
	if err != nil {
		return err
	}
	err = syscall.CreateSymbolicLink(name, to, flags|symlinkAllowUnprivileged)
	if errors.Is(err, errorInvalidParameter) { // before Windows 10 1703: no such flag
		err = syscall.CreateSymbolicLink(name, to, flags)
	}
	if errors.Is(err, syscall.ERROR_PRIVILEGE_NOT_HELD) {
		return symlinkRefused{err}
	}
	return err
}

func readSymlink(p string) (string, error) {
	t, err := os.Readlink(p)
	if err != nil {
		return "", err
	}
	return guestSymlinkTarget(t), nil
}

func setFileTimes(f *os.File, at, mt syscall.Timespec) error {
	a := syscall.NsecToFiletime(syscall.TimespecToNsec(at))
	w := syscall.NsecToFiletime(syscall.TimespecToNsec(mt))
	return syscall.SetFileTime(syscall.Handle(f.Fd()), nil, &a, &w)
}

// inventedErrnos are the errno names Go's syscall package invents on Windows (from 1<<29 up), as
// the server returns them itself.
var inventedErrnos = map[syscall.Errno]uint32{
	syscall.EPERM: lEPERM, syscall.ENOENT: lENOENT, syscall.EIO: lEIO, syscall.EBADF: lEBADF,
	syscall.EAGAIN: lEAGAIN, syscall.ENOMEM: lENOMEM, syscall.EACCES: lEACCES, syscall.EBUSY: lEBUSY,
	syscall.EEXIST: lEEXIST, syscall.EXDEV: lEXDEV, syscall.ENOTDIR: lENOTDIR, syscall.EISDIR: lEISDIR,
	syscall.EINVAL: lEINVAL, syscall.EMFILE: lEMFILE, syscall.EFBIG: lEFBIG, syscall.ENOSPC: lENOSPC,
	syscall.EROFS: lEROFS, syscall.ENAMETOOLONG: lENAMETOOLONG, syscall.ENOSYS: lENOSYS,
	syscall.ENOTEMPTY: lENOTEMPTY, syscall.ELOOP: lELOOP, syscall.ENODATA: lENODATA,
	syscall.EOPNOTSUPP: lEOPNOTSUPP,
}

// linuxErrno is the Linux errno of a Windows error: the server's own (invented) names, else the
// Win32 code's (windowsErrorToLinux).
func linuxErrno(e syscall.Errno) uint32 {
	if l, ok := inventedErrnos[e]; ok {
		return l
	}
	return windowsErrorToLinux(uint32(e))
}
