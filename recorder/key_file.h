// Key files for checkpoint signing (`sqlguard keygen`): the private key in the Go note skey text
// format (file mode 0600), the public key in vkey format. Loading refuses a private key file
// that group or others can read, like ssh does.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"
#include "recorder/signed_note.h"

namespace sqlguard::recorder {

/// Paths written by write_key_pair().
struct KeyPairFiles {
  std::filesystem::path private_key;  ///< <prefix>.key, mode 0600, one skey line
  std::filesystem::path public_key;   ///< <prefix>.pub, mode 0644, one vkey line
};

/// Generates an Ed25519 key named `name` (should equal the log origin, C2SP tlog-checkpoint)
/// and writes <prefix>.key and <prefix>.pub. Refuses to overwrite existing files.
/// Errors: kInvalidInput for an invalid name or when a file exists; kUnavailable for an I/O
/// error; kInternal when the CSPRNG fails.
common::Result<KeyPairFiles> write_key_pair(std::string_view name, const std::filesystem::path& prefix);

/// Loads a private key file. Errors: kUnavailable when unreadable; kInvalidInput when its mode
/// allows group/other access (message says to chmod 600) or the skey is malformed.
common::Result<NoteSigner> load_signer_file(const std::filesystem::path& path);

/// Loads a public key file (vkey). Errors: kUnavailable when unreadable, kInvalidInput when
/// malformed.
common::Result<NoteVerifier> load_verifier_file(const std::filesystem::path& path);

/// Reads a whole file. Errors: kUnavailable (cannot open or read).
common::Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace sqlguard::recorder
