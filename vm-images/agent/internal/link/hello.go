// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the HELLO payload: its JSON, parsing with the magic check, and the roles.
package link

import (
	"encoding/json"
	"fmt"
	"math"
)

// Magic and ProtocolVersion are the fixed HELLO fields.
const (
	Magic           = "berth-link"
	ProtocolVersion = 1
)

// Role says which stream ids a side opens: the host odd ids, the guest even ids.
type Role uint8

// The two roles.
const (
	RoleHost  Role = 1
	RoleGuest Role = 2
)

// String gives the HELLO spelling of r.
func (r Role) String() string {
	switch r {
	case RoleHost:
		return "host"
	case RoleGuest:
		return "guest"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// firstID is the first stream id r opens in a session.
func (r Role) firstID() uint32 {
	if r == RoleHost {
		return 1
	}
	return 2
}

// Hello is the JSON payload of a HELLO frame.
type Hello struct {
	Magic   string `json:"magic"`
	Version int    `json:"version"`
	Role    string `json:"role"`
	Agent   string `json:"agent"`
	Reply   bool   `json:"reply,omitempty"`
}

// NewHello returns the HELLO a side of the given role sends.
func NewHello(role Role, agent string, reply bool) Hello {
	return Hello{Magic: Magic, Version: ProtocolVersion, Role: role.String(), Agent: agent, Reply: reply}
}

// Marshal returns the JSON payload; it fails only if the agent string makes it longer than MaxHello.
func (h Hello) Marshal() ([]byte, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxHello {
		return nil, fmt.Errorf("HELLO payload would be %d bytes (limit %d); shorten the agent version string", len(b), MaxHello)
	}
	return b, nil
}

// ParseHello parses a HELLO payload. It requires a JSON object with magic "berth-link";
// unknown fields are ignored so later versions can add some.
func ParseHello(payload []byte) (Hello, error) {
	var raw struct {
		Magic   string  `json:"magic"`
		Version float64 `json:"version"`
		Role    string  `json:"role"`
		Agent   string  `json:"agent"`
		Reply   bool    `json:"reply"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Hello{}, protoErr(CodeBadHello, "HELLO payload is not the expected JSON object: %v", err)
	}
	if raw.Magic != Magic {
		return Hello{}, protoErr(CodeBadHello, "HELLO magic is %q, want %q", raw.Magic, Magic)
	}
	v := raw.Version
	if v != math.Trunc(v) || v < 0 || v > math.MaxInt32 {
		return Hello{}, protoErr(CodeBadHello, "HELLO version %v is not a whole number", v)
	}
	return Hello{Magic: raw.Magic, Version: int(v), Role: raw.Role, Agent: raw.Agent, Reply: raw.Reply}, nil
}
