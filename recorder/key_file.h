// Key files for checkpoint signing (`sqlguard keygen`): the private key in the Go note skey text
// format (file mode 0600), the public key in vkey format. Loading refuses a private key file
// that group or others can read, like ssh does.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

#include "recorder/signed_note.h"

namespace sqlguard::recorder {

/// Paths written by write_key_pair().
struct KeyPairFiles {
  std::filesystem::path private_key;  ///< <prefix>.key, mode 0600, one skey line
  std::filesystem::path public_key;   ///< <prefix>.pub, mode 0644, one vkey line
};

/// Generates an Ed25519 key named `name` (should equal the log origin, C2SP tlog-checkpoint)
/// and writes <prefix>.key and <prefix>.pub. Refuses to overwrite existing files.
/// Errors: invalid name, file exists, I/O error.
std::expected<KeyPairFiles, std::string> write_key_pair(std::string_view name,
                                                        const std::filesystem::path& prefix);

/// Loads a private key file. Errors: unreadable, mode allows group/other access (message says
/// to chmod 600), malformed skey.
std::expected<NoteSigner, std::string> load_signer_file(const std::filesystem::path& path);

/// Loads a public key file (vkey). Errors: unreadable or malformed.
std::expected<NoteVerifier, std::string> load_verifier_file(const std::filesystem::path& path);

/// Reads a whole file. Errors: cannot open or read.
std::expected<std::string, std::string> read_file(const std::filesystem::path& path);

}  // namespace sqlguard::recorder
