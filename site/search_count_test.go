package site

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// A count that stopped early says "at least" on the page, in both
// languages, and in the API; the pager still offers the next page.
func TestSearchCountAtLeastSaidOnPage(t *testing.T) {
	s := newStore(t)
	var ins []registry.Input
	for i := range 3000 {
		in := registrytest.SampleInput(fmt.Sprintf("ZB-%05d", i))
		trade := "厨具"
		if i%6 == 0 {
			trade = "电梯"
		}
		in.HolderName = fmt.Sprintf("宁波第%d%s有限公司", i, trade)
		ins = append(ins, in)
	}
	registrytest.Put(t, s, ins...)
	ts := httptest.NewServer(New(s, Config{BaseURL: testBase}).Handler())
	t.Cleanup(ts.Close)

	q := "?q=" + url.QueryEscape("电梯") + "&province=" + url.QueryEscape("浙江")
	zh := get(t, ts, "/certificates"+q)
	if zh.status != 200 {
		t.Fatalf("status %d", zh.status)
	}
	mustContain(t, "zh", zh.body, "至少", "计数到此为止", "rel=\"next\"")
	en := get(t, ts, "/en/certificates"+q)
	mustContain(t, "en", en.body, "At least", "counting stopped there")
	api := get(t, ts, "/api/v1/certificates"+q)
	mustContain(t, "api", api.body, `"total_at_least": true`, `"next":`)
	if strings.Contains(zh.body, "共 500 张证书") {
		t.Error("the page claims an exact count")
	}
}
