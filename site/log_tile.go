package site

import (
	"net/http"
	"strconv"

	"github.com/certreg/certreg/registry"
)

// ServeTile serves a hash tile (/log/tile/<L>/<N>[.p/<W>]) or an entry
// bundle (/log/tile/entries/<N>[.p/<W>]) of the current tree. Both are
// immutable: a partial tile keeps its width in its path.
func (h *LogHandlers) ServeTile(w http.ResponseWriter, r *http.Request) error {
	b, err := h.Log.Tile(r.Context(), "tile/"+r.PathValue("path"))
	if err != nil {
		return err
	}
	writeLogBytes(w, "application/octet-stream", true, b)
	return nil
}

// ServeEntry serves one log entry as text (the bytes whose RFC 6962 leaf
// hash is in the tree), for people following an "entry #N" link.
func (h *LogHandlers) ServeEntry(w http.ResponseWriter, r *http.Request) error {
	index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || index < 0 {
		return registry.Errorf(registry.ENOTFOUND, "", "公开日志中没有第 %s 条记录", "the public log has no entry #%s", r.PathValue("index"))
	}
	b, err := h.Log.Entry(r.Context(), index)
	if err != nil {
		return err
	}
	writeLogBytes(w, "text/plain; charset=utf-8", true, b)
	return nil
}
