// Links the component with its stack size: see ../stack.rs.
include!("../stack.rs");
