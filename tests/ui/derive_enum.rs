use weft::Params;

#[derive(Params)]
enum Either {
    Left(weft::Param),
    Right(weft::Param),
}

fn main() {}
