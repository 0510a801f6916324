// Writing files and directories so that a crash, a kill or a full disk leaves
// either the old version or the new one, never a part: the one way every
// CRINN tool writes what it produces.
#pragma once

#include <filesystem>
#include <string_view>

namespace crinn::support {

// A path beside `path`, in the same directory (so a rename is atomic), that
// no other writer uses: where the next version of `path` is written.
std::filesystem::path temporary_path_for(const std::filesystem::path& path);

// Puts the finished file `temporary` in place of `path`: syncs it, gives it
// the mode of the file it replaces (a new file keeps its umask mode), renames
// it and syncs the directory. A symbolic link at `path` keeps pointing where
// it did and its target is replaced. On failure `temporary` is removed and a
// std::runtime_error names `path` and the cause.
void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path);

// Replaces `path` with `contents` (through temporary_path_for and commit_temporary).
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// Throws a std::runtime_error naming `path` and the cause if
// write_file_atomically could not write it (its directory is missing or not
// writable, or it is a directory): to check an output before the long work
// whose result it is to hold. Leaves nothing behind.
void check_can_write(const std::filesystem::path& path);

// Makes the entries of `dir` (a rename, a new file) durable.
void sync_directory(const std::filesystem::path& dir);

// A new empty directory beside `target` where its next version is built.
std::filesystem::path make_staging_directory(const std::filesystem::path& target);

// Puts the complete directory `staging` in place of `target` in one rename
// (an exchange when `target` exists) and removes the old version.
void replace_directory(const std::filesystem::path& staging, const std::filesystem::path& target);

}  // namespace crinn::support
