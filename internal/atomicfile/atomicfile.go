// Package atomicfile writes a file so that no reader, and no crash, ever sees half of it: the
// bytes go to a temporary file beside it, renamed over the file once complete.
package atomicfile

import (
	"io"
	"os"
)

// Write writes path with the bytes write produces: into path+".tmp" (created with perm before
// the umask), closed, then renamed over path. On any error the temporary file is removed and
// path is left as it was.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
