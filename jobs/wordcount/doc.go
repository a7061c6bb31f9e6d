// Package wordcount is the streaming word count of the seeds: it splits each
// line on white space, keys by word, keeps a running count per word, and
// writes every update as "word,count", a CSV record: a word holding a comma
// or a double quote is quoted as encoding/csv quotes it ("job,",1).
//
// The job's operators carry fixed UIDs (source, split, count, format, sink)
// so that its checkpoints stay restorable across versions of this program.
package wordcount
