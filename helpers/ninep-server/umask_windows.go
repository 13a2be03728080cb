// The unix socket's permissions on Windows: no umask; the socket file takes its directory's ACL
// (berthd listens on loopback TCP there, ninepListenFor in helpers/berthd/vm/linkShares.ts).
package main

func ownerOnly(listen func()) { listen() }
