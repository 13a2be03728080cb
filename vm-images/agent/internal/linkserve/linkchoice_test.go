// Tests of choosing the guest link transport from berth.link= on the kernel command line: each
// driver's parameter, the default, the last one winning, and malformed values refused with the reason.
package linkserve

import (
	"strings"
	"testing"
)

func TestParseLinkChoiceOfEachDriver(t *testing.T) {
	base := "console=ttyS0 quiet loglevel=3 panic=-1"
	cases := []struct {
		name, cmdline string
		want          LinkChoice
	}{
		{"qemu passes nothing", base, LinkChoice{Kind: KindVirtioSerial, PortName: "berth.link"}},
		{"qemu explicit", base + " berth.link=virtio-serial", LinkChoice{Kind: KindVirtioSerial, PortName: "berth.link"}},
		{"named port", base + " berth.link=virtio-serial:other.port", LinkChoice{Kind: KindVirtioSerial, PortName: "other.port"}},
		{"hyperkit", base + " berth.link=vsock:3047", LinkChoice{Kind: KindVsock, Flavour: FlavourVirtio, VsockPort: 3047}},
		{"hyperkit default port", "berth.link=vsock " + base, LinkChoice{Kind: KindVsock, Flavour: FlavourVirtio, VsockPort: DefaultVsockPort}},
		{"hyper-v", base + " berth.link=hvsock:3047", LinkChoice{Kind: KindVsock, Flavour: FlavourHyperV, VsockPort: 3047}},
		{"last wins", "berth.link=vsock:5 " + base + " berth.link=hvsock:7", LinkChoice{Kind: KindVsock, Flavour: FlavourHyperV, VsockPort: 7}},
		{"largest port", "berth.link=vsock:4294967294", LinkChoice{Kind: KindVsock, Flavour: FlavourVirtio, VsockPort: 4294967294}},
		{"similar name is not it", base + " xberth.link=vsock:1 berth.linkx=hvsock", LinkChoice{Kind: KindVirtioSerial, PortName: "berth.link"}},
	}
	for _, c := range cases {
		got, err := ParseLinkChoice(c.cmdline, "berth.link")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.Source == "" {
			t.Errorf("%s: no source given", c.name)
		}
		got.Source = ""
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestParseLinkChoiceRefusesMalformedValues(t *testing.T) {
	cases := map[string]string{
		"berth.link=":                      "unknown transport",
		"berth.link=tcp:2375":              "unknown transport",
		"berth.link=vsock:":                "from 1 to 4294967294",
		"berth.link=vsock:0":               "from 1 to 4294967294",
		"berth.link=vsock:4294967295":      "from 1 to 4294967294",
		"berth.link=vsock:4294967296":      "from 1 to 4294967294",
		"berth.link=hvsock:-1":             "from 1 to 4294967294",
		"berth.link=hvsock:+5":             "from 1 to 4294967294",
		"berth.link=vsock:0x10":            "from 1 to 4294967294",
		"berth.link=virtio-serial:":        "port name",
		"berth.link=virtio-serial:a/b":     "port name",
		"berth.link=virtio-serial:$(boom)": "port name",
	}
	for cmdline, want := range cases {
		_, err := ParseLinkChoice("quiet "+cmdline, "berth.link")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", cmdline, err, want)
		}
	}
}
