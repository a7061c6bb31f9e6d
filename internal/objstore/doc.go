// Package objstore owns Weir's access to object storage: a local directory
// (Dir), an in-memory store (Mem) and S3 (S3), each with the few operations
// checkpoint storage and the file sink need: read an object with its size,
// write one atomically, delete, list by prefix (optionally folded at a
// delimiter) and, on S3, multipart uploads. It is the one place Weir talks
// to S3: checkpoint/storage and connector/file both open their s3:// URLs
// here (OpenS3), with the same URL options.
//
// The interfaces over these stores belong to their consumers
// (checkpoint/storage.Bucket); this package only provides the types.
//
// Why by hand: Weir used gocloud.dev/blob, whose error package alone
// links gRPC, OpenTelemetry and google.golang.org/api into every program,
// about 600 MB of modules downloaded by the first `go run` of the word
// count. What Weir needs of a blob API is the handful of calls here, on
// top of the AWS SDK's S3 client, which stays.
//
// Semantics the callers rely on:
//
//   - Atomic write: Put makes an object visible whole or not at all. Dir
//     writes a temporary "<name>.<hex>.tmp" next to the final name, fsyncs
//     it and renames it (the directory is not fsynced: the caller does that
//     where it matters); S3 makes an object visible when its PUT or its
//     multipart upload completes; Mem swaps in the whole object.
//   - Listing is in key order. Dir lists files only (directories are not
//     objects), temporary files included.
//   - A missing object (or S3 bucket) is an error wrapping ErrNotFound.
//     Deleting a missing object is not an error.
//
// S3 URL options, as gocloud.dev's s3blob took them (so existing
// locations keep working): region, endpoint, use_path_style (and its old
// name s3ForcePathStyle), disable_https, hostname_immutable, profile, role,
// anonymous, dualstack, fips, accelerate, rate_limiter_capacity,
// request_checksum_calculation, response_checksum_validation, ssetype,
// kmskeyid, awssdk (ignored) and Weir's prefix. Any other option is refused.
// Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID
// and AWS_SECRET_ACCESS_KEY, the shared files, instance metadata).
//
// Errors: ErrNotFound, ErrExists, ErrNoSuchUpload.
package objstore
