package storage

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/weirstream/weir/checkpoint"
)

// s3Options are the URL options SERVICES.md found to work with
// S3-compatible servers.
const s3Options = "region=us-east-1&use_path_style=true&disable_https=true" +
	"&request_checksum_calculation=when_required&response_checksum_validation=when_required"

// TestS3Fake runs the storage against an in-process S3 (gofakes3 with its
// in-memory backend), so the s3blob path is tested by plain `go test`.
func TestS3Fake(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	if err := backend.CreateBucket("weir"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "fake")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	loc := "s3://weir/ckpt?" + s3Options + "&endpoint=" + url.QueryEscape(srv.URL)
	exerciseS3(t, loc, "wc")
}

// TestS3Integration runs the same against a real S3-compatible server when
// WEIR_TEST_S3_URL is set (scripts/s3-server.sh start DIR prints it).
func TestS3Integration(t *testing.T) {
	loc := os.Getenv("WEIR_TEST_S3_URL")
	if loc == "" {
		t.Skip("WEIR_TEST_S3_URL is not set: run `eval \"$(scripts/s3-server.sh start /tmp/weir-s3)\"` to test against a real S3-compatible server")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		t.Skip("WEIR_TEST_S3_URL is set but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not")
	}
	// A job name of its own, so runs do not see each other's checkpoints.
	exerciseS3(t, loc, fmt.Sprintf("it-%d", time.Now().UnixNano()))
}

func exerciseS3(t *testing.T, loc, job string) {
	st, err := Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	cp1 := writeCheckpoint(t, st, job, 1)
	writeCheckpoint(t, st, job, 2)
	got, err := st.ReadMetadata(ctx, job, 1)
	if err != nil || got.ID != 1 || len(got.Operators) != 2 {
		t.Fatalf("ReadMetadata: %v %v", got, err)
	}
	if !strings.HasPrefix(cp1.ExternalPath, "s3://") || !strings.HasSuffix(cp1.ExternalPath, "/"+job+"/chk-1") || strings.Contains(cp1.ExternalPath, "?") {
		t.Fatalf("external path %q", cp1.ExternalPath)
	}
	ref := got.Operators["count"].Subtasks[1].Keyed[0].File
	data, err := st.ReadStateFile(ctx, job, ref)
	if err != nil || len(data) != int(ref.Size) {
		t.Fatalf("ReadStateFile: %d bytes, %v", len(data), err)
	}
	if err := st.WriteMetadata(ctx, job, cp1); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}

	// Damage checkpoint 2: Latest falls back to 1 and says why.
	damage(t, st, job, "chk-2/op-count-0", flip(3))
	latest, skipped, err := st.Latest(ctx, job)
	if err != nil || latest.ID != 1 || len(skipped) != 1 || !strings.Contains(skipped[0].String(), "chk-2/op-count-0: checksum mismatch") {
		t.Fatalf("Latest: %v, %v, %v", latest, skipped, err)
	}

	// --from-checkpoint with the external path plus the URL options.
	query := loc[strings.Index(loc, "?"):]
	r, err := ResolvePath(ctx, cp1.ExternalPath+query)
	if err != nil || r.Checkpoint.ID != 1 || r.Job != job {
		t.Fatalf("ResolvePath: %v", err)
	}
	r.Storage.Close()
	if _, err := ResolvePath(ctx, strings.TrimSuffix(cp1.ExternalPath, "/chk-1")+"/chk-2"+query); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ResolvePath of the damaged one: %v", err)
	}

	for _, id := range []int64{1, 2} {
		if err := st.Discard(ctx, job, checkpoint.ID(id)); err != nil {
			t.Fatal(err)
		}
	}
	if infos, err := st.List(ctx, job); err != nil || len(infos) != 0 {
		t.Fatalf("after Discard: %+v %v", infos, err)
	}
}
