package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// MinPartSize is S3's smallest part of a multipart upload, the last part
// excepted (5 MiB).
const MinPartSize = 5 << 20

// putPartSize is the part size Put uploads a long stream in (and the size
// up to which it sends one PUT): 8 MiB, the AWS SDK transfer manager's
// default, buffered in memory one part at a time.
const putPartSize = 8 << 20

// S3 is one S3 bucket. Its methods are safe for concurrent use.
type S3 struct {
	client   *s3.Client
	bucket   string
	checksum bool // send CRC32 checksums (request_checksum_calculation=when_supported)
	sse      types.ServerSideEncryption
	kmsKeyID string
}

// OpenS3 opens the bucket of an s3:// location and returns it with the
// key prefix the location names: its path, after the value of a "prefix"
// option if there is one ("s3://b/x?prefix=p" is prefix "p/x"), without
// leading or trailing "/". The options are described in the package doc;
// an unknown option or a bad value is an error that names it.
func OpenS3(ctx context.Context, location string) (*S3, string, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, "", err
	}
	if u.Scheme != "s3" {
		return nil, "", fmt.Errorf("not an s3:// URL")
	}
	if u.Host == "" {
		return nil, "", errors.New("names no bucket (use s3://BUCKET/prefix)")
	}
	q := u.Query()
	prefix := strings.Trim(u.Path, "/")
	if p := strings.Trim(q.Get("prefix"), "/"); p != "" {
		prefix = strings.Trim(path.Join(p, prefix), "/")
	}
	q.Del("prefix")
	s, err := newS3(ctx, u.Host, q)
	if err != nil {
		return nil, "", err
	}
	return s, prefix, nil
}

func parseBool(q url.Values, key string) (bool, error) {
	v := q.Get(key)
	q.Del(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("invalid value for %q: %w", key, err)
	}
	return b, nil
}

// newS3 follows gocloud.dev v0.47.0's s3blob.URLOpener.OpenBucketURL and
// aws.V2ConfigFromURLParams, option for option, with one difference: the
// endpoint is the client's BaseEndpoint (the SDK's current way; the
// resolver gocloud used is deprecated), so hostname_immutable=true keeps
// the host by addressing the bucket in the path.
func newS3(ctx context.Context, bucket string, q url.Values) (*S3, error) {
	s := &S3{bucket: bucket}
	var s3opts []func(*s3.Options)
	if v := q.Get("ssetype"); v != "" {
		q.Del("ssetype")
		i := slices.IndexFunc(types.ServerSideEncryptionAes256.Values(), func(t types.ServerSideEncryption) bool { return strings.EqualFold(string(t), v) })
		if i < 0 {
			return nil, fmt.Errorf("%q is not a valid value for %q", v, "ssetype")
		}
		s.sse = types.ServerSideEncryptionAes256.Values()[i]
	}
	s.kmsKeyID = q.Get("kmskeyid")
	q.Del("kmskeyid")
	accelerate, err := parseBool(q, "accelerate")
	if err != nil {
		return nil, err
	}
	s3opts = append(s3opts, func(o *s3.Options) { o.UseAccelerate = accelerate })
	if q.Has("disable_https") {
		v, err := parseBool(q, "disable_https")
		if err != nil {
			return nil, err
		}
		s3opts = append(s3opts, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = v })
	}
	for _, key := range []string{"use_path_style", "s3ForcePathStyle"} {
		if q.Has(key) {
			v, err := parseBool(q, key)
			if err != nil {
				return nil, err
			}
			s3opts = append(s3opts, func(o *s3.Options) { o.UsePathStyle = v })
		}
	}
	hostnameImmutable, err := parseBool(q, "hostname_immutable")
	if err != nil {
		return nil, err
	}
	endpoint := q.Get("endpoint")
	q.Del("endpoint")
	var roleARN string
	rateLimit := int64(0)
	var opts []func(*config.LoadOptions) error
	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}) {
		value := q.Get(key)
		switch key {
		case "region":
			opts = append(opts, config.WithRegion(value))
		case "profile":
			opts = append(opts, config.WithSharedConfigProfile(value))
		case "dualstack", "fips", "anonymous":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %s: %w", key, err)
			}
			switch {
			case !b:
			case key == "dualstack":
				opts = append(opts, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
			case key == "fips":
				opts = append(opts, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
			default:
				opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
			}
		case "rate_limiter_capacity":
			rateLimit, err = strconv.ParseInt(value, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("invalid value for capacity: %w", err)
			}
		case "role":
			if !strings.HasPrefix(value, "arn:") {
				return nil, fmt.Errorf("invalid value for role: must be a valid ARN (starts with 'arn:'): %s", value)
			}
			roleARN = value
		case "request_checksum_calculation":
			switch strings.ToLower(value) {
			case "when_supported":
				opts = append(opts, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenSupported))
			case "when_required":
				opts = append(opts, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired))
			default:
				return nil, fmt.Errorf("invalid value for %q: %q. Valid values are: when_supported, when_required", key, value)
			}
		case "response_checksum_validation":
			switch strings.ToLower(value) {
			case "when_supported":
				opts = append(opts, config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenSupported))
			case "when_required":
				opts = append(opts, config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
			default:
				return nil, fmt.Errorf("invalid value for %q: %q. Valid values are: when_supported, when_required", key, value)
			}
		case "awssdk":
			// gocloud.dev chose between SDK v1 and v2 with it; v2 it is.
		default:
			return nil, fmt.Errorf("unknown query parameter %q", key)
		}
	}
	if roleARN != "" {
		base, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("failed to load default AWS config: %w", err)
		}
		if base.Region == "" {
			return nil, errors.New("STS client created with empty region: all other parameters must be collected before assuming role")
		}
		opts = []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN)),
			config.WithRegion(base.Region),
		}
	}
	var limiter retry.RateLimiter = ratelimit.None
	if rateLimit > 0 {
		limiter = ratelimit.NewTokenRateLimit(uint(rateLimit))
	}
	opts = append(opts, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) { so.RateLimiter = limiter })
	}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	s.checksum = cfg.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired
	if endpoint != "" {
		s3opts = append(s3opts, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			if hostnameImmutable {
				o.UsePathStyle = true
			}
		})
	}
	s.client = s3.NewFromConfig(cfg, s3opts...)
	return s, nil
}

// Bucket is the bucket's name.
func (s *S3) Bucket() string { return s.bucket }

// Close does nothing: the SDK's HTTP client keeps its idle connections
// until its idle timeout (90 s), as it did under gocloud.dev. (A transport
// of Weir's own that Close could empty is not possible: the SDK installs
// AWS_CA_BUNDLE only into its own client.)
func (s *S3) Close() error { return nil }

// s3Err maps the S3 error codes for a missing object or bucket to
// ErrNotFound and a missing upload to ErrNoSuchUpload.
func s3Err(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return notFound(err)
		case "NoSuchUpload":
			return fmt.Errorf("%w: %w", ErrNoSuchUpload, err)
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return notFound(err)
	}
	return err
}

type s3Reader struct {
	io.ReadCloser
	size int64
}

func (r s3Reader) Size() int64 { return r.size }

// Get opens the object key.
func (s *S3) Get(ctx context.Context, key string) (Reader, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, s3Err(err)
	}
	return s3Reader{out.Body, aws.ToInt64(out.ContentLength)}, nil
}

// Stat returns the size of the object key.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return 0, s3Err(err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Put writes r to key: one PUT for up to 8 MiB, a multipart upload of 8 MiB
// parts beyond (aborted on any failure). The object is visible only once
// the PUT or the upload completed. ifNotExist is checked with a HEAD before
// the write: S3-compatible servers differ in their support of conditional
// writes, so it does not guard against a concurrent writer.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, ifNotExist bool) error {
	if ifNotExist {
		if _, err := s.Stat(ctx, key); err == nil {
			return fmt.Errorf("s3://%s/%s %w", s.bucket, key, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	buf := make([]byte, putPartSize)
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.putObject(ctx, key, buf[:n])
	}
	if err != nil {
		return err
	}
	id, err := s.CreateUpload(ctx, key)
	if err != nil {
		return err
	}
	var parts []Part
	err = func() error {
		for {
			p, err := s.UploadPart(ctx, key, id, int32(len(parts)+1), buf[:n])
			if err != nil {
				return err
			}
			parts = append(parts, p)
			n, err = io.ReadFull(r, buf)
			if n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				return nil
			}
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				return err
			}
		}
	}()
	if err == nil {
		err = s.CompleteUpload(ctx, key, id, parts)
	}
	if err != nil {
		// A fresh context: the caller's may be what was cancelled.
		_ = s.AbortUpload(context.WithoutCancel(ctx), key, id)
		return err
	}
	return nil
}

func (s *S3) putObject(ctx context.Context, key string, data []byte) error {
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/octet-stream"),
		ServerSideEncryption: s.sse}
	if s.kmsKeyID != "" {
		in.SSEKMSKeyId = &s.kmsKeyID
	}
	_, err := s.client.PutObject(ctx, in)
	return s3Err(err)
}

// Delete removes key; a missing one is not an error (S3 answers a delete
// of a missing key with success).
func (s *S3) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err = s3Err(err); errors.Is(err, ErrNotFound) && !isNoSuchBucket(err) {
		return nil
	}
	return err
}

func isNoSuchBucket(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket"
}

// List yields the objects under prefix in key order (ListObjectsV2, page by
// page), folded at delimiter by the server.
func (s *S3) List(ctx context.Context, prefix, delimiter string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix}
		if delimiter != "" {
			in.Delimiter = &delimiter
		}
		p := s3.NewListObjectsV2Paginator(s.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				yield(Entry{}, s3Err(err))
				return
			}
			page := make([]Entry, 0, len(out.Contents)+len(out.CommonPrefixes))
			for _, o := range out.Contents {
				page = append(page, Entry{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)})
			}
			for _, cp := range out.CommonPrefixes {
				page = append(page, Entry{Key: aws.ToString(cp.Prefix), IsDir: true})
			}
			slices.SortFunc(page, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// Part is an uploaded part of a multipart upload.
type Part struct {
	Number int32
	ETag   string
	CRC32  string // base64, when the client sends checksums
	Size   int64
}

// Upload is a multipart upload in progress.
type Upload struct {
	Key, ID string
}

// CreateUpload starts a multipart upload to key and returns its ID.
func (s *S3) CreateUpload(ctx context.Context, key string) (string, error) {
	in := &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key,
		ContentType: aws.String("application/octet-stream"), ServerSideEncryption: s.sse}
	if s.kmsKeyID != "" {
		in.SSEKMSKeyId = &s.kmsKeyID
	}
	if s.checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", s3Err(err)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart uploads data as part n (1 to 10000) of upload id. Every part
// but the last must hold at least MinPartSize bytes, which S3 checks when
// the upload completes.
func (s *S3) UploadPart(ctx context.Context, key, id string, n int32, data []byte) (Part, error) {
	in := &s3.UploadPartInput{Bucket: &s.bucket, Key: &key, UploadId: &id, PartNumber: &n,
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))}
	if s.checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	out, err := s.client.UploadPart(ctx, in)
	if err != nil {
		return Part{}, s3Err(err)
	}
	return Part{Number: n, ETag: aws.ToString(out.ETag), CRC32: aws.ToString(out.ChecksumCRC32), Size: int64(len(data))}, nil
}

// CompleteUpload completes upload id of key from parts, in part order: the
// object appears whole. An upload that is no longer in progress is an
// error wrapping ErrNoSuchUpload (the caller may find it completed).
func (s *S3) CompleteUpload(ctx context.Context, key, id string, parts []Part) error {
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		done[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag)}
		if p.CRC32 != "" {
			done[i].ChecksumCRC32 = aws.String(p.CRC32)
		}
	}
	_, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &s.bucket, Key: &key,
		UploadId: &id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	return s3Err(err)
}

// AbortUpload aborts upload id of key and frees its parts; an upload that
// is not in progress is not an error.
func (s *S3) AbortUpload(ctx context.Context, key, id string) error {
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: &id})
	if err = s3Err(err); errors.Is(err, ErrNoSuchUpload) {
		return nil
	}
	return err
}

// ListUploads lists the multipart uploads in progress under prefix.
func (s *S3) ListUploads(ctx context.Context, prefix string) ([]Upload, error) {
	var out []Upload
	in := &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix}
	for {
		page, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, s3Err(err)
		}
		for _, u := range page.Uploads {
			out = append(out, Upload{Key: aws.ToString(u.Key), ID: aws.ToString(u.UploadId)})
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}
