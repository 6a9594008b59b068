#include "policy/statement_analysis.h"

#include <array>
#include <utility>

namespace sqlguard::policy {

namespace {

using K = StatementKind;
constexpr std::array<std::pair<K, std::string_view>, 78> kNames{{
    {K::kUnknown, "unknown"},
    {K::kSelect, "select"},
    {K::kTable, "table"},
    {K::kValues, "values"},
    {K::kShow, "show"},
    {K::kDescribe, "describe"},
    {K::kExplain, "explain"},
    {K::kHandler, "handler"},
    {K::kDo, "do"},
    {K::kInsert, "insert"},
    {K::kReplace, "replace"},
    {K::kUpdate, "update"},
    {K::kDelete, "delete"},
    {K::kLoadData, "load_data"},
    {K::kLoadXml, "load_xml"},
    {K::kCall, "call"},
    {K::kCreateTable, "create_table"},
    {K::kCreateView, "create_view"},
    {K::kCreateIndex, "create_index"},
    {K::kCreateDatabase, "create_database"},
    {K::kCreateRoutine, "create_routine"},
    {K::kCreateTrigger, "create_trigger"},
    {K::kCreateEvent, "create_event"},
    {K::kCreateOther, "create_other"},
    {K::kAlterTable, "alter_table"},
    {K::kAlterOther, "alter_other"},
    {K::kDropTable, "drop_table"},
    {K::kDropView, "drop_view"},
    {K::kDropIndex, "drop_index"},
    {K::kDropDatabase, "drop_database"},
    {K::kDropOther, "drop_other"},
    {K::kRenameTable, "rename_table"},
    {K::kTruncate, "truncate"},
    {K::kGrant, "grant"},
    {K::kRevoke, "revoke"},
    {K::kCreateUser, "create_user"},
    {K::kAlterUser, "alter_user"},
    {K::kDropUser, "drop_user"},
    {K::kRenameUser, "rename_user"},
    {K::kSetPassword, "set_password"},
    {K::kCreateRole, "create_role"},
    {K::kDropRole, "drop_role"},
    {K::kSetRole, "set_role"},
    {K::kSet, "set"},
    {K::kSetStatement, "set_statement"},
    {K::kUse, "use"},
    {K::kStartTransaction, "start_transaction"},
    {K::kCommit, "commit"},
    {K::kRollback, "rollback"},
    {K::kSavepoint, "savepoint"},
    {K::kReleaseSavepoint, "release_savepoint"},
    {K::kSetTransaction, "set_transaction"},
    {K::kXa, "xa"},
    {K::kLockTables, "lock_tables"},
    {K::kUnlockTables, "unlock_tables"},
    {K::kPrepare, "prepare"},
    {K::kExecute, "execute"},
    {K::kExecuteImmediate, "execute_immediate"},
    {K::kDeallocate, "deallocate"},
    {K::kAnalyzeTable, "analyze_table"},
    {K::kCheckTable, "check_table"},
    {K::kOptimizeTable, "optimize_table"},
    {K::kRepairTable, "repair_table"},
    {K::kChecksumTable, "checksum_table"},
    {K::kFlush, "flush"},
    {K::kKill, "kill"},
    {K::kReset, "reset"},
    {K::kPurge, "purge"},
    {K::kInstall, "install"},
    {K::kUninstall, "uninstall"},
    {K::kShutdown, "shutdown"},
    {K::kBinlog, "binlog"},
    {K::kReplication, "replication"},
    {K::kCache, "cache"},
    {K::kBackup, "backup"},
    {K::kSignal, "signal"},
    {K::kGetDiagnostics, "get_diagnostics"},
    {K::kHelp, "help"},
}};

}  // namespace

std::string_view to_string(StatementKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<StatementKind> statement_kind_from_string(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

bool is_read_kind(StatementKind kind) {
  switch (kind) {
    case K::kSelect:
    case K::kTable:
    case K::kValues:
    case K::kShow:
    case K::kDescribe:
    case K::kExplain: return true;
    default: return false;
  }
}

}  // namespace sqlguard::policy
