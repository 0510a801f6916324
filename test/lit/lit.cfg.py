# lit configuration for CRINN's tool tests: each test drives a tool the way a
# user does and checks its output with FileCheck.
import os

import lit.formats

config.name = "CRINN"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".test", ".cpp"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.crinn_obj_root, "test", "lit")

config.substitutions.append(("%crinn-tune", os.path.join(config.crinn_tools_dir, "crinn-tune")))
config.substitutions.append(("%crinn-opt", os.path.join(config.crinn_tools_dir, "crinn-opt")))
config.substitutions.append(("%crinn-landscape", os.path.join(config.crinn_tools_dir, "crinn-landscape")))
config.substitutions.append(("%crinn-src", config.crinn_src_root))
config.substitutions.append(("%crinn-build", config.crinn_obj_root))
config.substitutions.append(("%crinn-include", os.path.join(config.crinn_src_root, "include")))
config.substitutions.append(("%crinn-bench", os.path.join(config.crinn_tools_dir, "crinn-bench")))
config.substitutions.append(("%make-testdata", config.crinn_testdata_tool))
config.substitutions.append(("%fixtures", config.crinn_fixture_dir))
config.substitutions.append(("%libdir", config.crinn_lib_dir))
config.substitutions.append(("%clang", config.clang))
config.substitutions.append(("FileCheck", config.filecheck))
# LLVM's test tools (`not cmd` expects cmd to fail) first on PATH.
config.environment["PATH"] = os.path.dirname(config.filecheck) + os.pathsep + os.environ.get("PATH", "")

# Ground truth caches stay inside the build tree, never in the user's home.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.test_exec_root, "cache")

# A build with -DCRINN_SANITIZE=ON: tests that cannot hold under AddressSanitizer
# say "UNSUPPORTED: sanitize" and why; bad_inputs.py reads the variable.
if config.crinn_sanitize:
    config.available_features.add("sanitize")
    config.environment["CRINN_SANITIZE"] = "1"
