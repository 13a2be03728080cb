// Package linkserve is the agent's end of the guest link.
// This file holds syscall numbers Go's syscall package does not name, for linux/amd64.
package linkserve

// sysSyncfs is syncfs(2).
const sysSyncfs = 306
