// Package demo makes the fictional demo registry that `certreg serve` loads
// on first start, and synthetic registries of any size for benchmarks and
// load tests. Every holder and body it makes is marked 示例/样例.
package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/certreg/certreg/registry"
)

// Size is how many certificates the demo registry holds.
const Size = 3000

// demoCity is a city the demo places holders in, with its administrative
// region code (the credit code's positions 3–8).
type demoCity struct{ province, city, region, district string }

var demoCities = []demoCity{
	{"浙江", "宁波", "330200", "海曙"}, {"浙江", "杭州", "330100", "西湖"}, {"江苏", "南京", "320100", "鼓楼"},
	{"江苏", "苏州", "320500", "姑苏"}, {"广东", "广州", "440100", "天河"}, {"广东", "深圳", "440300", "南山"},
	{"北京", "北京", "110100", "朝阳"}, {"上海", "上海", "310100", "浦东"}, {"四川", "成都", "510100", "武侯"},
	{"湖北", "武汉", "420100", "江汉"}, {"陕西", "西安", "610100", "雁塔"}, {"山东", "青岛", "370200", "市南"},
	{"山东", "济南", "370100", "历下"}, {"安徽", "合肥", "340100", "蜀山"}, {"福建", "福州", "350100", "鼓楼"},
	{"福建", "厦门", "350200", "思明"}, {"湖南", "长沙", "430100", "岳麓"}, {"河南", "郑州", "410100", "金水"},
	{"天津", "天津", "120100", "和平"}, {"重庆", "重庆", "500100", "渝中"}, {"辽宁", "沈阳", "210100", "和平"},
	{"云南", "昆明", "530100", "五华"},
}

// The bodies of the demo are fictional: their approval numbers use
// sequence numbers in the 900s, which CNCA has not issued.
var demoBodies = []registry.Body{
	{Approval: "CNCA-R-2016-901", NameZH: "示例质量认证中心（样例）", NameEN: "Sample Quality Certification Centre (demo)", Website: "https://example.org/sqcc", Province: "北京", City: "北京", Contact: "010-00000000"},
	{Approval: "CNCA-R-2017-902", NameZH: "华东示例服务认证有限公司（样例）", NameEN: "East China Sample Service Certification Co. (demo)", Website: "https://example.org/ecssc", Province: "浙江", City: "杭州", Contact: "0571-00000000"},
	{Approval: "CNCA-R-2018-903", NameZH: "南方示例认证有限公司（样例）", NameEN: "Southern Sample Certification Co. (demo)", Website: "https://example.org/sscc", Province: "广东", City: "广州", Contact: "020-00000000"},
	{Approval: "CNCA-R-2019-904", NameZH: "金陵示例评价认证中心（样例）", NameEN: "Jinling Sample Assessment Centre (demo)", Website: "https://example.org/jsac", Province: "江苏", City: "南京", Contact: "025-00000000"},
	{Approval: "CNCA-RF-2015-91", NameZH: "示例国际认证（中国）有限公司（样例）", NameEN: "Sample International Certification (China) Ltd. (demo)", Website: "https://example.org/sicc", Province: "上海", City: "上海", Contact: "021-00000000"},
}

var (
	demoTrades = []struct{ word, scope string }{
		{"电器", "家用电器的售后服务（安装、维修、退换货、投诉处理）"},
		{"家具", "办公家具和民用家具的售后服务（送货、安装、维修）"},
		{"电梯", "电梯的安装、维修保养及售后服务"},
		{"空调", "空调器的安装、维修及售后服务"},
		{"汽车销售", "汽车销售及售后服务（维修保养、配件供应）"},
		{"计算机", "计算机及外部设备的售后服务"},
		{"医疗器械", "医疗器械的安装、培训与维修服务"},
		{"照明", "LED照明产品的售后服务"},
		{"厨具", "厨房电器的送货、安装及维修服务"},
		{"净水设备", "净水设备的安装、滤芯更换及售后服务"},
		{"安防科技", "安防监控系统的安装调试及维保服务"},
		{"门窗", "系统门窗的测量、安装及售后服务"},
	}
	demoNames = []string{"海天", "东方", "恒远", "华瑞", "金桥", "长江", "明辉", "新锐", "博雅", "同创", "正泰", "润达", "康健", "星河", "嘉禾", "远航", "鼎盛", "天成", "瑞丰", "中科"}
	demoBanks = []string{"示例商业银行股份有限公司", "示例农村商业银行股份有限公司", "示例城市银行股份有限公司"}
)

// demoCreditCode returns a valid unified social credit code for an
// enterprise registered in region.
func demoCreditCode(r *rand.Rand, region string) string {
	b := []byte("91" + region)
	for i := 0; i < 9; i++ {
		b = append(b, registry.CreditAlphabet[r.IntN(len(registry.CreditAlphabet))])
	}
	c, _ := registry.CreditCodeCheck(string(b))
	return string(append(b, c))
}

// Inputs returns the demo registry's certificates: fictional bodies and
// companies, every name marked 示例 (sample), across many provinces and
// cities, all levels, schemes and statuses. Dates are counted back from
// today, so that the demo stays current; the same day always gives the same
// data.
func Inputs(today time.Time) []registry.Input {
	next := SyntheticRows(today, Size)
	out := make([]registry.Input, 0, Size)
	for {
		in, err := next()
		if err != nil {
			return out
		}
		out = append(out, in)
	}
}

// SyntheticRows returns a source of n generated certificates, the first
// Size of which are the demo's: for benchmarks and load tests at any
// size without holding them all in memory.
func SyntheticRows(today time.Time, n int) func() (registry.Input, error) {
	r := rand.New(rand.NewPCG(2024, 3))
	seq := map[string]int{}
	type holder struct{ name, code, address, province, city, scheme string }
	var recent []holder // holders that get a second certificate
	i := 0
	return func() (registry.Input, error) {
		if i == n {
			return registry.Input{}, io.EOF
		}
		i++
		city := demoCities[r.IntN(len(demoCities))]
		if i%5 == 0 { // more of the cities the examples use
			city = demoCities[[]int{0, 2, 4}[r.IntN(3)]]
		}
		body := demoBodies[r.IntN(len(demoBodies))]
		// Most certificates are recent; about one in seven has expired.
		age := []int{30, 200, 400, 600, 800, 1000, 1200}[r.IntN(7)] + r.IntN(200)
		issue := today.AddDate(0, 0, -age)
		year := issue.Year()
		in := registry.Input{
			Province: city.province, City: city.city,
			IssueDate: issue.Format(registry.DateLayout), ExpiryDate: issue.AddDate(3, 0, -1).Format(registry.DateLayout),
			BodyApproval: body.Approval, BodyName: body.NameZH,
			HolderCreditCode: demoCreditCode(r, city.region),
			HolderAddress:    fmt.Sprintf("%s省%s市%s区示例路 %d 号", city.province, city.city, city.district, 1+r.IntN(300)),
		}
		if city.province == city.city { // municipalities: 北京市朝阳区
			in.HolderAddress = fmt.Sprintf("%s市%s区示例路 %d 号", city.city, city.district, 1+r.IntN(300))
		}
		kind := r.IntN(100)
		name := demoNames[r.IntN(len(demoNames))]
		switch {
		case kind < 80: // after-sales service, graded
			trade := demoTrades[r.IntN(len(demoTrades))]
			in.Scheme = "AS"
			in.HolderName = city.city + name + trade.word + "有限公司（示例）"
			in.Scope = trade.scope
			score := 70 + r.Float64()*30
			if r.IntN(4) == 0 {
				score = 95 + r.Float64()*5
			}
			in.Score = strconv.FormatFloat(float64(int(score*10))/10, 'f', -1, 64)
			if r.IntN(3) == 0 {
				in.CPSQ = strconv.FormatFloat(float64(int((75+r.Float64()*20)*10))/10, 'f', -1, 64)
				s1 := issue.AddDate(0, -2, -r.IntN(20))
				in.Stage1Date = s1.Format(registry.DateLayout)
				in.Stage2Date = s1.AddDate(0, 0, 14+r.IntN(20)).Format(registry.DateLayout)
			}
		case kind < 88: // cleaning services, pass/fail
			in.Scheme = "CL"
			in.HolderName = city.city + name + "清洗服务有限公司（示例）"
			in.Scope = "建筑物清洗、地毯清洗及家居保洁服务"
		default: // bank branches, pass/fail
			in.Scheme = "BB"
			bank := demoBanks[r.IntN(len(demoBanks))]
			in.HolderName = bank + city.city + city.district + "支行（示例）"
			in.Scope = "银行营业网点的柜面服务、自助服务及客户投诉处理"
		}
		// About one certificate in ten goes to a holder that already has one (another product line).
		if len(recent) > 0 && r.IntN(10) == 0 {
			h := recent[r.IntN(len(recent))]
			if h.scheme == "AS" && in.Scheme == "AS" {
				in.HolderName, in.HolderCreditCode, in.HolderAddress, in.Province, in.City = h.name, h.code, h.address, h.province, h.city
			}
		} else if len(recent) < 64 {
			recent = append(recent, holder{in.HolderName, in.HolderCreditCode, in.HolderAddress, in.Province, in.City, in.Scheme})
		} else {
			recent[r.IntN(64)] = holder{in.HolderName, in.HolderCreditCode, in.HolderAddress, in.Province, in.City, in.Scheme}
		}
		// Each body numbers its certificates its own way; branch
		// certificates carry a suffix after a slash.
		key := body.Approval + strconv.Itoa(year)
		seq[key]++
		n := seq[key]
		switch body.Approval {
		case "CNCA-R-2016-901":
			in.Number = fmt.Sprintf("SQCC-%s-%d-%05d", in.Scheme, year, n)
		case "CNCA-R-2017-902":
			in.Number = fmt.Sprintf("%dZJ%04dS", year, n)
		case "CNCA-R-2018-903":
			in.Number = fmt.Sprintf("SSC%02d%05dR1", year%100, n)
		case "CNCA-R-2019-904":
			in.Number = fmt.Sprintf("JSAC.%d.%04d", year, n)
		default:
			in.Number = fmt.Sprintf("00%d%s%05dR0L", year%100, map[string]string{"AS": "SAS", "CL": "SCL", "BB": "SBB"}[in.Scheme], n)
		}
		if in.Scheme == "BB" {
			in.Number += "/" + city.region[:4]
		}
		in.Line = i
		return in, nil
	}
}

// LoadDemo fills an empty registry with the demo dataset, then gives some
// certificates a history: surveillance audits, suspensions (some lifted),
// revocations, withdrawals and a re-graded score. It does nothing to a
// registry that already holds certificates.
func Load(ctx context.Context, s *registry.Store) (loaded bool, err error) {
	if empty, err := s.Empty(ctx); err != nil || !empty {
		return false, err
	}
	for _, b := range demoBodies {
		if _, err := s.AddBody(ctx, registry.Actor{Name: "demo", Source: "demo"}, b); err != nil && registry.ErrorCode(err) != registry.ECONFLICT {
			return false, fmt.Errorf("demo: %w", err)
		}
	}
	actor := registry.Actor{Name: "demo", Source: "demo"}
	today := registry.Today(s.Now())
	inputs := Inputs(today)
	if _, err := s.PutCertificates(ctx, actor, inputs, registry.ImportOptions{}); err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	r := rand.New(rand.NewPCG(7, 11))
	var regraded []registry.Input
	for i, in := range inputs {
		issue, _ := registry.ParseDate(in.IssueDate)
		if !issue.AddDate(1, 0, 0).Before(today) {
			continue
		}
		expiry, _ := registry.ParseDate(in.ExpiryDate)
		if expiry.Before(today) && i%3 != 0 {
			continue
		}
		audit := registry.Surveillance{Date: issue.AddDate(0, 11, r.IntN(20)), Result: "pass"}
		fail := r.IntN(25) == 0
		if fail {
			audit.Result, audit.Note = "fail", "服务承诺未兑现，限期整改（示例）"
		}
		if _, err := s.AddSurveillance(ctx, actor, in.Number, audit); err != nil {
			return false, fmt.Errorf("demo: %w", err)
		}
		roll := r.IntN(100)
		var moves []registry.StatusChange
		switch {
		case fail:
			moves = append(moves, registry.StatusChange{To: registry.StatusSuspended, Effective: audit.Date.AddDate(0, 0, 7), Reason: "监督审核不通过，暂停证书（示例）"})
			if roll < 50 {
				moves = append(moves, registry.StatusChange{To: registry.StatusValid, Effective: audit.Date.AddDate(0, 2, 0), Reason: "整改完成，恢复证书（示例）"})
			} else if roll < 75 {
				moves = append(moves, registry.StatusChange{To: registry.StatusRevoked, Effective: audit.Date.AddDate(0, 6, 0), Reason: "暂停期满未完成整改，撤销证书（示例）"})
			}
		case roll < 3:
			moves = append(moves, registry.StatusChange{To: registry.StatusWithdrawn, Effective: audit.Date.AddDate(0, 1, 0), Reason: "获证组织申请注销（示例）"})
		case roll < 5:
			moves = append(moves, registry.StatusChange{To: registry.StatusRevoked, Effective: audit.Date.AddDate(0, 1, 0), Reason: "获证组织虚假宣传证书等级，撤销证书（示例）"})
		case roll < 8 && in.Scheme == "AS":
			up := in
			score, _ := strconv.ParseFloat(in.Score, 64)
			up.Score = strconv.FormatFloat(min(100, score+4), 'f', -1, 64)
			up.Surveillance = registry.FormatSurveillanceList([]registry.Surveillance{audit})
			regraded = append(regraded, up)
		}
		for _, m := range moves {
			if m.Effective.After(today) {
				break
			}
			m.Number = in.Number
			if _, err := s.ChangeStatus(ctx, actor, m); err != nil {
				return false, fmt.Errorf("demo: %w", err)
			}
		}
	}
	if len(regraded) > 0 {
		if _, err := s.PutCertificates(ctx, actor, regraded, registry.ImportOptions{}); err != nil {
			return false, fmt.Errorf("demo regrade: %w", err)
		}
	}
	return true, nil
}

// LoadSynthetic fills an empty registry with n generated certificates in
// one import, without the demo's histories: for benchmarks and load tests.
func LoadSynthetic(ctx context.Context, s *registry.Store, n int) error {
	empty, err := s.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return registry.Errorf(registry.ECONFLICT, "", "demo.registry_already_holds_certificates")
	}
	for _, b := range demoBodies {
		if _, err := s.AddBody(ctx, registry.Actor{Name: "demo", Source: "demo"}, b); err != nil && registry.ErrorCode(err) != registry.ECONFLICT {
			return err
		}
	}
	_, err = s.Import(ctx, registry.Actor{Name: "demo", Source: "demo"}, SyntheticRows(registry.Today(s.Now()), n), registry.ImportOptions{})
	return err
}
