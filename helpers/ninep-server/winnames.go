// What Windows allows and answers, as pure functions the portable host (hostfs_portable.go) uses and
// every build tests: the one-name check (no separators, streams, devices or names Win32 rewrites),
// Windows error codes as Linux errno values, file modes from the read-only attribute, symlink targets
// both ways, and the path hash that stands in for a file index.
package main

import (
	"hash/fnv"
	"strings"
	"syscall"
	"unicode/utf16"
)

// Linux errno values (9P2000.L carries Linux's, whatever the host's syscall package calls them).
const (
	lEPERM        = 1
	lENOENT       = 2
	lEIO          = 5
	lEBADF        = 9
	lEAGAIN       = 11
	lENOMEM       = 12
	lEACCES       = 13
	lEBUSY        = 16
	lEEXIST       = 17
	lEXDEV        = 18
	lENOTDIR      = 20
	lEISDIR       = 21
	lEINVAL       = 22
	lEMFILE       = 24
	lEFBIG        = 27
	lENOSPC       = 28
	lEROFS        = 30
	lENAMETOOLONG = 36
	lENOSYS       = 38
	lENOTEMPTY    = 39
	lELOOP        = 40
	lENODATA      = 61
	lEOPNOTSUPP   = 95
)

// windowsErrors maps Win32 error codes (winerror.h) to the Linux errno a guest expects.
var windowsErrors = map[uint32]uint32{
	1:    lEINVAL,       // ERROR_INVALID_FUNCTION
	2:    lENOENT,       // ERROR_FILE_NOT_FOUND
	3:    lENOENT,       // ERROR_PATH_NOT_FOUND
	4:    lEMFILE,       // ERROR_TOO_MANY_OPEN_FILES
	5:    lEACCES,       // ERROR_ACCESS_DENIED
	6:    lEBADF,        // ERROR_INVALID_HANDLE
	8:    lENOMEM,       // ERROR_NOT_ENOUGH_MEMORY
	14:   lENOMEM,       // ERROR_OUTOFMEMORY
	15:   lENOENT,       // ERROR_INVALID_DRIVE
	17:   lEXDEV,        // ERROR_NOT_SAME_DEVICE
	19:   lEROFS,        // ERROR_WRITE_PROTECT
	21:   lEIO,          // ERROR_NOT_READY
	32:   lEBUSY,        // ERROR_SHARING_VIOLATION
	33:   lEBUSY,        // ERROR_LOCK_VIOLATION
	39:   lENOSPC,       // ERROR_HANDLE_DISK_FULL
	50:   lEOPNOTSUPP,   // ERROR_NOT_SUPPORTED
	53:   lENOENT,       // ERROR_BAD_NETPATH
	80:   lEEXIST,       // ERROR_FILE_EXISTS
	87:   lEINVAL,       // ERROR_INVALID_PARAMETER
	112:  lENOSPC,       // ERROR_DISK_FULL
	123:  lEINVAL,       // ERROR_INVALID_NAME
	131:  lEINVAL,       // ERROR_NEGATIVE_SEEK
	145:  lENOTEMPTY,    // ERROR_DIR_NOT_EMPTY
	161:  lENOENT,       // ERROR_BAD_PATHNAME
	183:  lEEXIST,       // ERROR_ALREADY_EXISTS
	206:  lENAMETOOLONG, // ERROR_FILENAME_EXCED_RANGE
	223:  lEFBIG,        // ERROR_FILE_TOO_LARGE
	225:  lEACCES,       // ERROR_VIRUS_INFECTED
	267:  lENOTDIR,      // ERROR_DIRECTORY (the directory name is invalid: not a directory)
	1005: lEIO,          // ERROR_UNRECOGNIZED_VOLUME
	1117: lEIO,          // ERROR_IO_DEVICE
	1314: lEPERM,        // ERROR_PRIVILEGE_NOT_HELD (symlinks without Developer Mode)
	1392: lEIO,          // ERROR_FILE_CORRUPT
	1920: lEACCES,       // ERROR_CANT_ACCESS_FILE
	1921: lELOOP,        // ERROR_CANT_RESOLVE_FILENAME
	4390: lEINVAL,       // ERROR_NOT_A_REPARSE_POINT
}

// windowsErrorToLinux is the Linux errno of a Win32 error code; EIO for one not listed.
func windowsErrorToLinux(code uint32) uint32 {
	if l, ok := windowsErrors[code]; ok {
		return l
	}
	return lEIO
}

// maxNameUTF16 is NTFS's longest name, in UTF-16 code units.
const maxNameUTF16 = 255

// checkWindowsName refuses what cannot be one plain name in a Windows directory: a separator ("\" or
// "/"), a drive or stream (":"), the other characters Win32 forbids (<>"|?* and controls), "." and
// "..", a trailing dot or space (Win32 drops them, so "a." would be "a" and "..." the directory
// itself), and the DOS device names with or without an extension (CON, nul.txt, COM1 …): EINVAL;
// a name longer than NTFS allows: ENAMETOOLONG.
func checkWindowsName(name string) error {
	if name == "" || name == "." || name == ".." {
		return syscall.EINVAL
	}
	for _, r := range name {
		if r < 0x20 || strings.ContainsRune(`\/:<>"|?*`, r) {
			return syscall.EINVAL
		}
	}
	if last := name[len(name)-1]; last == '.' || last == ' ' {
		return syscall.EINVAL
	}
	if isDOSDevice(name) {
		return syscall.EINVAL
	}
	if len(utf16.Encode([]rune(name))) > maxNameUTF16 {
		return syscall.ENAMETOOLONG
	}
	return nil
}

// isDOSDevice: CON, PRN, AUX, NUL, COM0–9, LPT0–9 (also with ¹²³), whatever the case and whatever
// follows a dot or trailing spaces ("nul.txt", "CON .x"): Win32 opens the device for each.
func isDOSDevice(name string) bool {
	base := name
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) >= 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		switch base[3:] {
		case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
			return true
		}
	}
	return false
}

// portableMode is the Linux mode of a file on a host whose only permission is the read-only
// attribute: directories 0755, symlinks 0777, files 0644 (0444 when read-only).
func portableMode(dir, symlink, readOnly bool) uint32 {
	switch {
	case symlink:
		return lSIFLNK | 0o777
	case dir:
		return lSIFDIR | 0o755
	case readOnly:
		return lSIFREG | 0o444
	}
	return lSIFREG | 0o644
}

// hostSymlinkTarget is a guest's symlink target as Windows stores it: "\" for "/", and a leading
// run of separators made one ("//server/share" would be a UNC path Windows connects to when anyone
// follows the link: it stays the drive-relative "\server\share").
func hostSymlinkTarget(target string) string {
	t := strings.ReplaceAll(target, "/", `\`)
	if strings.HasPrefix(t, `\`) {
		t = `\` + strings.TrimLeft(t, `\`)
	}
	return t
}

// guestSymlinkTarget is a target Windows stored, as the guest reads it: "/" for "\".
func guestSymlinkTarget(target string) string { return strings.ReplaceAll(target, `\`, "/") }

// pathHash stands in for a file index where the host gives none: the same path, the same number
// (case-folded, as NTFS compares names).
func pathHash(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(path)))
	return h.Sum64()
}
