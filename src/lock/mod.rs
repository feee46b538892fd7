//! Lock and requirement files: reading `requirements.txt` (pip's format);
//! later also writing hash-pinned requirements and `pylock.toml`, and
//! reading `uv.lock`.

pub mod pylock;
pub mod requirements_txt;
