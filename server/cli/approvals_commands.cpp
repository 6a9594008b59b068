#include "server/cli/approvals_commands.h"

#include <iostream>
#include <memory>

#include "approvals/approval_service.h"
#include "common/time.h"
#include "policy/principal_spec.h"
#include "server/admin/approvals_http.h"
#include "server/cli/app.h"
#include "server/config/config.h"

namespace sqlguard::server {
namespace {

struct ApprovalsArgs {
  std::string config;
  std::string as;
  std::string state = "pending";
  std::string comment;
  std::string id;
  bool json = false;
};

/// The service over the config's store, without an audit log and without background threads.
/// Prints the problem and returns nullptr on error.
std::unique_ptr<approvals::ApprovalService> open_service(const ApprovalsArgs& args, int& exit_code) {
  auto config = load_config(args.config);
  if (!config) {
    std::cerr << config.error().message << "\n";
    exit_code = 2;
    return nullptr;
  }
  if (!config->approvals.enabled) {
    std::cerr << args.config << ": no approvals: section (approvals are not enabled)\n";
    exit_code = 2;
    return nullptr;
  }
  auto store = open_approval_store(config->approvals);
  if (!store) {
    std::cerr << store.error().message << "\n";
    exit_code = 1;
    return nullptr;
  }
  approvals::ApprovalServiceOptions options = approval_service_options(*config);
  options.background = false;
  return std::make_unique<approvals::ApprovalService>(std::move(*store), nullptr, std::move(options));
}

std::optional<policy::Principal> reviewer(const ApprovalsArgs& args, int& exit_code) {
  auto p = policy::parse_principal_spec(args.as);
  if (!p) {
    std::cerr << "--as: " << p.error().message << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  p->auth_method = "cli";
  return *p;
}

void print_line(const approvals::ApprovalRequest& r) {
  std::string statement = r.statement;
  for (char& c : statement) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (statement.size() > 80) statement = statement.substr(0, 77) + "...";
  std::cout << r.id << "  " << approvals::to_string(r.state) << "  " << common::rfc3339_ms(r.created_ms)
            << "  " << r.principal.subject << "  " << r.rule << "  " << r.approvals.size() << "/"
            << r.approvals_required << "  " << statement << "\n";
}

void print_details(const approvals::ApprovalRequest& r) {
  std::cout << "approval:   " << r.id << "\nstate:      " << approvals::to_string(r.state)
            << "\nrequested:  " << common::rfc3339_ms(r.created_ms) << " by " << r.principal.subject;
  if (!r.principal.client_name.empty()) std::cout << " (" << r.principal.client_name << ")";
  std::cout << "\nexpires:    " << common::rfc3339_ms(r.expires_ms) << "\nrule:       " << r.rule
            << "\nreason:     " << r.reason << "\nkind:       " << r.kind << "\ntables:    ";
  for (const auto& t : r.tables) std::cout << " " << t;
  std::cout << "\nsha256:     " << r.sha256 << "\napprovals:  " << r.approvals.size() << "/"
            << r.approvals_required << " (approver groups:";
  for (const auto& g : r.approver_groups) std::cout << " " << g;
  std::cout << ")\n";
  for (const auto& v : r.approvals) {
    std::cout << "  approved by " << v.reviewer << " at " << common::rfc3339_ms(v.at_ms)
              << (v.comment.empty() ? "" : ": " + v.comment) << "\n";
  }
  if (r.denial) {
    std::cout << "  denied by " << r.denial->reviewer << " at " << common::rfc3339_ms(r.denial->at_ms)
              << (r.denial->comment.empty() ? "" : ": " + r.denial->comment) << "\n";
  }
  std::cout << "statement:\n" << r.statement << "\n";
}

int cmd_list(const ApprovalsArgs& args) {
  int rc = 0;
  auto service = open_service(args, rc);
  if (!service) return rc;
  std::optional<approvals::ApprovalState> state;
  if (args.state != "all") {
    state = approvals::approval_state_from_string(args.state);
    if (!state) {
      std::cerr << "--state: expected pending, approved, denied, expired, used or all\n";
      return 2;
    }
  }
  auto list = service->list(state, 500);
  if (!list) {
    std::cerr << list.error().message << "\n";
    return 1;
  }
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *list) out.push_back(approval_json(r));
    std::cout << nlohmann::json{{"approvals", out}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : *list) print_line(r);
  if (list->empty()) std::cerr << "no " << args.state << " approval requests\n";
  return 0;
}

int cmd_show(const ApprovalsArgs& args) {
  int rc = 0;
  auto service = open_service(args, rc);
  if (!service) return rc;
  auto r = service->get(args.id);
  if (!r) {
    std::cerr << r.error().message << "\n";
    return 1;
  }
  if (args.json) {
    std::cout << approval_json(*r).dump(2) << "\n";
  } else {
    print_details(*r);
  }
  return 0;
}

int cmd_decide(const ApprovalsArgs& args, bool approve) {
  int rc = 0;
  auto who = reviewer(args, rc);
  if (!who) return rc;
  auto service = open_service(args, rc);
  if (!service) return rc;
  auto r =
      approve ? service->approve(args.id, *who, args.comment) : service->deny(args.id, *who, args.comment);
  if (!r) {
    std::cerr << (approve ? "approve: " : "deny: ") << r.error().message << "\n";
    return 1;
  }
  std::cout << r->id << ": " << approvals::to_string(r->state) << " (" << r->approvals.size() << "/"
            << r->approvals_required << " approvals)\n";
  return 0;
}

}  // namespace

CLI::App* register_approvals_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ApprovalsArgs>();
  auto* approvals = app.add_subcommand("approvals", "Review statements held for approval");
  approvals->require_subcommand(1);

  auto* list = approvals->add_subcommand("list", "List approval requests, newest first");
  list->add_option("--config", args->config, "configuration file (YAML)")->required();
  list->add_option("--as", args->as, "your identity SUBJECT[:group,group] (informational for list)");
  list->add_option("--state", args->state, "pending (default), approved, denied, expired, used or all");
  list->add_flag("--json", args->json, "print the API's JSON");
  list->callback([args, &exit_code] { exit_code = cmd_list(*args); });

  auto* show = approvals->add_subcommand("show", "Show one approval request");
  show->add_option("--config", args->config, "configuration file (YAML)")->required();
  show->add_option("--as", args->as, "your identity SUBJECT[:group,group] (informational for show)");
  show->add_flag("--json", args->json, "print the API's JSON");
  show->add_option("id", args->id, "approval id (apr_...)")->required();
  show->callback([args, &exit_code] { exit_code = cmd_show(*args); });

  for (bool approve : {true, false}) {
    auto* cmd = approvals->add_subcommand(approve ? "approve" : "deny",
                                          approve ? "Approve a held statement" : "Deny a held statement");
    cmd->add_option("--config", args->config, "configuration file (YAML)")->required();
    cmd->add_option("--as", args->as, "your identity SUBJECT[:group,group]")->required();
    cmd->add_option("--comment", args->comment, "comment shown to the requester and recorded");
    cmd->add_option("id", args->id, "approval id (apr_...)")->required();
    cmd->callback([args, approve, &exit_code] { exit_code = cmd_decide(*args, approve); });
  }
  return approvals;
}

}  // namespace sqlguard::server
