package selftest

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/scenarios"
)

func sampleResults() []Result {
	return []Result{{
		Scenario: "etcd-restore", Lab: "selftest-etcd-restore", Seed: 1, Duration: 95 * time.Second,
		Cases: []Case{
			{Name: "fresh lab scores 0", Passed: true, Duration: time.Second},
			{Name: "mistake only-data-dir-changed fails etcd-data-volume", Passed: false, Message: "want exactly [etcd-data-volume] not to pass, got []", Duration: 30 * time.Second,
				Waits: "etcd-serving 28.5s (graded 2 times)"},
		},
	}}
}

func TestResultPassed(t *testing.T) {
	r := sampleResults()[0]
	require.False(t, r.Passed())
	r.Cases = r.Cases[:1]
	require.True(t, r.Passed())
	require.False(t, Result{}.Passed(), "a result without cases did not prove anything")
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	WriteText(&buf, sampleResults(), 100*time.Second)
	out := buf.String()
	require.Contains(t, out, "etcd-restore (lab selftest-etcd-restore, seed 1, 1m35s)\n")
	require.Contains(t, out, "  ok   fresh lab scores 0")
	require.Contains(t, out, "  FAIL mistake only-data-dir-changed fails etcd-data-volume")
	require.Contains(t, out, "       want exactly [etcd-data-volume] not to pass, got []\n")
	require.Contains(t, out, "       slow checks: etcd-serving 28.5s (graded 2 times)\n")
	require.Contains(t, out, "slowest cases:\n     30s etcd-restore/mistake only-data-dir-changed fails etcd-data-volume [etcd-serving 28.5s (graded 2 times)]\n      1s etcd-restore/fresh lab scores 0\n")
	require.Contains(t, out, "FAIL (1 failed): 1 scenario(s) in 1m40s\n")
}

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, sampleResults(), 100*time.Second))
	var got struct {
		Tests  int    `xml:"tests,attr"`
		Fails  int    `xml:"failures,attr"`
		Time   string `xml:"time,attr"`
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Time      string `xml:"time,attr"`
				SystemOut string `xml:"system-out"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got), buf.String())
	require.Equal(t, 2, got.Tests)
	require.Equal(t, 1, got.Fails)
	require.Equal(t, "100.000", got.Time)
	require.Equal(t, "selftest/etcd-restore", got.Suites[0].Name)
	require.Nil(t, got.Suites[0].Cases[0].Failure)
	require.Equal(t, "30.000", got.Suites[0].Cases[1].Time)
	require.Equal(t, "slow checks: etcd-serving 28.5s (graded 2 times)", got.Suites[0].Cases[1].SystemOut)
	require.Empty(t, got.Suites[0].Cases[0].SystemOut)
	require.Equal(t, "want exactly [etcd-data-volume] not to pass, got []", got.Suites[0].Cases[1].Failure.Message)
}

// TestWriteJUnitOddOutput: a failure message holding what XML cannot (a
// command's NUL, a CDATA end) still gives a document CI can read.
func TestWriteJUnitOddOutput(t *testing.T) {
	res := []Result{{Scenario: "s", Lab: "st-s", Seed: 3, Cases: []Case{{Name: "c", Message: "got \x00 and ]]> <b>"}}}}
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, res, time.Second))
	var got struct {
		Suites []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Failure struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got), buf.String())
	require.Equal(t, "got \uFFFD and ]]> <b>", got.Suites[0].Cases[0].Failure.Message)
	require.Equal(t, "got \uFFFD and ]]> <b>", got.Suites[0].Cases[0].Failure.Text)
	require.Len(t, got.Suites[0].Properties, 2)
	require.Equal(t, "seed", got.Suites[0].Properties[1].Name)
	require.Equal(t, "3", got.Suites[0].Properties[1].Value)
}

// A scenario's labs are st-NAME, st-NAME-2, ..., at most 32 characters.
func TestLabName(t *testing.T) {
	short := &scenarios.Scenario{}
	short.Metadata.Name = "etcd-backup"
	require.Equal(t, "st-etcd-backup", labName(short, 1))
	require.Equal(t, "st-etcd-backup-3", labName(short, 3))
	long := &scenarios.Scenario{}
	long.Metadata.Name = "apiserver-etcd-certfile-and-more-words"
	require.Equal(t, "st-apiserver-etcd-certfile-and-m", labName(long, 1))
	require.Equal(t, "st-apiserver-etcd-certfile-and-2", labName(long, 2))
	require.Len(t, labName(long, 12), 32)
}
