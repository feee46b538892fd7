//! The module graph stays acyclic: `.ci/cycles.py` resolves every path
//! each file of `src/` names to the module file that defines it, and
//! lists the cycles (docs/architecture.md, "Module graph").

use std::process::Command;

#[test]
fn no_module_file_imports_one_that_imports_it() {
    for args in [&[][..], &["--depth", "1"][..]] {
        let output = Command::new("python3")
            .arg(".ci/cycles.py")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(stdout.trim(), "no cycles", "{args:?}:\n{stdout}");
    }
}
