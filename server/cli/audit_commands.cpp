#include "server/cli/audit_commands.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "recorder/audit_export.h"
#include "recorder/audit_prove.h"
#include "recorder/audit_verify.h"
#include "recorder/key_file.h"

namespace sqlguard::server {
namespace {

namespace rec = sqlguard::recorder;

// Options of all subcommands; owned by the CLI::App through a shared_ptr captured by callbacks.
struct AuditArgs {
  std::string dir;
  std::vector<std::string> checkpoints;
  std::vector<std::string> pubkeys;
  std::string format = "jsonl";
  rec::ExportFilter filter;
  std::string output;
  std::string session;
  uint64_t seq = 0;
  std::string proof_file;
  std::string key_name = "sqlguard.local/audit";
  std::string key_out;
};

std::vector<std::filesystem::path> paths(const std::vector<std::string>& in) {
  return {in.begin(), in.end()};
}

// Opens --output (or stdout). Returns nullptr and prints an error if the file cannot be opened.
std::ostream* open_output(const std::string& path, std::unique_ptr<std::ofstream>& holder) {
  if (path.empty() || path == "-") return &std::cout;
  holder = std::make_unique<std::ofstream>(path, std::ios::trunc | std::ios::binary);
  if (!*holder) {
    std::cerr << "sqlguard: cannot write " << path << "\n";
    return nullptr;
  }
  return holder.get();
}

}  // namespace

CLI::App* register_audit_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AuditArgs>();
  int* code = &exit_code;

  // ---- keygen --------------------------------------------------------------------------------
  CLI::App* keygen = app.add_subcommand("keygen", "Create the Ed25519 key pair that signs audit checkpoints");
  keygen
      ->add_option("--name", args->key_name,
                   "Key name; should equal the audit log origin (e.g. example.com/sqlguard)")
      ->capture_default_str();
  keygen->add_option("--out", args->key_out, "Path prefix: writes PREFIX.key (mode 0600) and PREFIX.pub")
      ->required();
  keygen->callback([args, code] {
    auto files = rec::write_key_pair(args->key_name, args->key_out);
    if (!files) {
      std::cerr << "sqlguard keygen: " << files.error().message << "\n";
      *code = 1;
      return;
    }
    auto v = rec::load_verifier_file(files->public_key);
    std::cout << "private key: " << files->private_key.string()
              << " (mode 0600; keep it away from the agent)\n"
              << "public key:  " << files->public_key.string() << "\n"
              << "vkey:        " << (v ? v->vkey() : std::string("?")) << "\n";
    *code = 0;
  });

  // ---- audit ---------------------------------------------------------------------------------
  CLI::App* audit = app.add_subcommand("audit", "Verify, export, show and prove the audit log");
  audit->require_subcommand(1);

  CLI::App* verify =
      audit->add_subcommand("verify", "Check every record, link, checkpoint signature and root");
  verify->add_option("dir", args->dir, "Audit log directory")->required();
  verify->add_option("--checkpoint", args->checkpoints,
                     "A checkpoint kept elsewhere (witness copy); detects truncation, rollback and forks");
  verify->add_option("--pubkey", args->pubkeys,
                     "Pinned public key (vkey file); default: DIR/vkey (not pinned)");
  verify->callback([args, code] {
    auto report = rec::verify_log({args->dir, paths(args->checkpoints), paths(args->pubkeys)});
    for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
    std::cout << report.summary() << "\n";
    *code = report.ok() ? 0 : 1;
  });

  CLI::App* exp = audit->add_subcommand("export", "Export records as JSON lines, CSV or OCSF (class 6005)");
  exp->add_option("dir", args->dir, "Audit log directory")->required();
  exp->add_option("--format", args->format, "jsonl | csv | ocsf")
      ->check(CLI::IsMember({"jsonl", "csv", "ocsf"}))
      ->capture_default_str();
  exp->add_option("--since", args->filter.since, "Only records at or after this RFC 3339 UTC time or date");
  exp->add_option("--until", args->filter.until, "Only records before this RFC 3339 UTC time or date");
  exp->add_option("--principal", args->filter.principal, "Only this principal's sessions (subject)");
  exp->add_option("--session", args->filter.session, "Only this session id");
  exp->add_option("--output,-o", args->output, "Write to this file instead of stdout");
  exp->callback([args, code] {
    auto format = rec::parse_export_format(args->format);
    std::unique_ptr<std::ofstream> file;
    std::ostream* out = open_output(args->output, file);
    if (!format || out == nullptr) {
      if (!format) std::cerr << "sqlguard audit export: " << format.error().message << "\n";
      *code = 1;
      return;
    }
    auto n = rec::export_records(args->dir, *format, args->filter, *out);
    out->flush();
    if (!n) {
      std::cerr << "sqlguard audit export: " << n.error().message << "\n";
      *code = 1;
      return;
    }
    std::cerr << "audit export: " << *n << " records (" << args->format << ")\n";
    *code = 0;
  });

  CLI::App* show = audit->add_subcommand("show", "Readable timeline of one session");
  show->add_option("dir", args->dir, "Audit log directory")->required();
  show->add_option("--session", args->session, "Session id")->required();
  show->callback([args, code] {
    auto n = rec::show_session(args->dir, args->session, std::cout);
    if (!n) {
      std::cerr << "sqlguard audit show: " << n.error().message << "\n";
      *code = 1;
      return;
    }
    *code = 0;
  });

  CLI::App* prove =
      audit->add_subcommand("prove", "Print an RFC 6962 inclusion proof of one record with its checkpoint");
  prove->add_option("dir", args->dir, "Audit log directory")->required();
  prove->add_option("seq", args->seq, "Record sequence number")->required();
  prove
      ->add_option("--checkpoint", args->checkpoints, "Checkpoint to prove against (default: DIR/checkpoint)")
      ->expected(0, 1);
  prove->add_option("--output,-o", args->output, "Write the proof to this file instead of stdout");
  prove->callback([args, code] {
    std::filesystem::path cp;
    if (!args->checkpoints.empty()) cp = args->checkpoints.front();
    auto proof = rec::make_inclusion_proof(args->dir, args->seq, cp);
    std::unique_ptr<std::ofstream> file;
    std::ostream* out = open_output(args->output, file);
    if (!proof || out == nullptr) {
      if (!proof) std::cerr << "sqlguard audit prove: " << proof.error().message << "\n";
      *code = 1;
      return;
    }
    *out << proof->dump(2) << "\n";
    *code = 0;
  });

  CLI::App* vproof = audit->add_subcommand("verify-proof", "Check an inclusion proof offline");
  vproof->add_option("file", args->proof_file, "Proof file written by `audit prove` (- for stdin)")
      ->required();
  vproof->add_option("--pubkey", args->pubkeys, "Public key (vkey file) the checkpoint must be signed by");
  vproof->callback([args, code] {
    std::string text;
    if (args->proof_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      auto content = rec::read_file(args->proof_file);
      if (!content) {
        std::cerr << "sqlguard audit verify-proof: " << content.error().message << "\n";
        *code = 1;
        return;
      }
      text = std::move(*content);
    }
    std::vector<rec::NoteVerifier> keys;
    for (const auto& p : args->pubkeys) {
      auto v = rec::load_verifier_file(p);
      if (!v) {
        std::cerr << "sqlguard audit verify-proof: " << v.error().message << "\n";
        *code = 1;
        return;
      }
      keys.push_back(*v);
    }
    auto doc = nlohmann::json::parse(text, nullptr, false);
    auto result = rec::verify_inclusion_proof(doc, keys);
    if (!result) {
      std::cout << "audit verify-proof: FAILED: " << result.error().message << "\n";
      *code = 1;
      return;
    }
    std::cout << *result << "\n";
    *code = 0;
  });
  return audit;
}

}  // namespace sqlguard::server
