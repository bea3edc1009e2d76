package i18n

// Messages of the public transparency log.
func init() {
	Register(map[string]Msg{
		"cert.log":                           {"已记入公开日志第 %d 条", "Recorded in the public log at #%d"},
		"log.registry_publishes_no_verifier": {"本登记库未公布公开日志的验证密钥", "this registry publishes no verifier key for its log"},
		"log.public_log_has_no":              {"公开日志中没有第 %s 条记录", "the public log has no entry #%s"},
		"log.public_log_has_no_2":            {"公开日志中没有 %s", "the public log has no %s"},
		"log.public_log_has_no_3":            {"公开日志中没有 %s：路径格式不对", "the public log has no %s: malformed path"},
		"log.public_log_has_no_4":            {"公开日志中没有第 %d 条记录", "the public log has no entry #%d"},
		"log.tree_size_must_between":         {"树大小 %d 应在 1 与 %d 之间", "the tree size %d must be between 1 and %d"},
		"log.bad_signature":                  {"签名无效（%s）", "bad signature (%s)"},
		"log.malformed":                      {"格式错误", "malformed"},
		"log.signed_text_does_not":           {"签名内容与存储的大小或根哈希不符", "the signed text does not match the stored size or root"},
		"log.origin_differs_from_earlier":    {"来源行 %q 与之前的 %q 不同", "its origin %q differs from the earlier %q"},
		"log.smaller_than_checkpoint_before": {"比前一个检查点（%d）小", "smaller than the checkpoint before (%d)"},
		"log.beyond_log_s_entries":           {"超出日志的 %d 条记录", "beyond the log's %d entries"},
		"log.root_hash_not_log":              {"根哈希与日志中的树不符", "its root hash is not that of the log's tree"},
		"log.leaf_missing":                   {"日志第 %d 条记录的叶子行缺失", "the leaf row of log entry #%d is missing"},
		"log.leaf_out_of_order":              {"日志第 %d 条记录的事件编号 %d 不大于前一条的 %d", "log entry #%d names event #%d, not after the previous entry's #%d"},
		"log.hash_table_damaged":             {"日志的哈希表在第 %d 项处缺失或损坏", "the log's hash table is missing or damaged at stored hash %d"},
		"log.hash_count_wrong":               {"日志有 %d 条记录，应有 %d 个哈希，实有 %d 个", "the log has %d entries and should have %d stored hashes, not %d"},
		"log.backdated":                      {"证书 %[2]s 的事件 #%[1]d 记为 %[3]s，早于已记入日志的事件 #%[4]d（%[5]s）：时间被倒填", "event #%[1]d of certificate %[2]s is dated %[3]s, before event #%[4]d logged earlier (%[5]s): back-dated"},
		"log.deleted":                        {"证书 %[2]s 的事件 #%[1]d（日志第 %[3]d 条）不见了：该行被删除", "event #%[1]d of certificate %[2]s (log entry #%[3]d) is missing: the row was deleted"},
		"log.edited":                         {"证书 %[2]s 的事件 #%[1]d（日志第 %[3]d 条）与公开日志记录的不一致：该行被修改", "event #%[1]d of certificate %[2]s (log entry #%[3]d) differs from what the log recorded: the row was edited"},
		"log.inserted":                       {"证书 %[2]s 的事件 #%[1]d 不在公开日志中，而其后的事件已记入：该行是事后插入的", "event #%[1]d of certificate %[2]s is not in the log though later events are: it was inserted in the past"},
		"log.hash_edited":                    {"日志的第 %[1]d 个哈希（第 %[2]d 层第 %[3]d 个）与叶子不符：哈希表被修改", "stored hash %[1]d (level %[2]d, #%[3]d) does not follow from the leaves: the hash table was edited"},
		"log.hashes_edited":                  {"共有 %d 个哈希与叶子不符", "%d stored hashes in all do not follow from the leaves"},
		"log.checkpoint_problem":             {"检查点 %d（大小 %d）：%s", "checkpoint %d (size %d): %s"},
		"log.not_recorded_yet":               {"证书 %s 尚未记入公开日志", "certificate %s is not recorded in the public log yet"},
		"log.none":                           {"本登记库未公布公开日志", "this registry publishes no transparency log"},
	})
}
