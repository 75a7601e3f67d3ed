/// Outputs several tests check.
enum Expected {
    /// What `nursery-rhyme` prints: the original README's first example.
    static let nurseryRhyme = [
        "MARY HAD A LITTLE LAMB,",
        "HIS FLEECE WAS WHITE AS SNOW,",
        "AND EVERYWHERE THAT MARY WENT,",
        "THE LAMB WAS SURE TO GO.",
    ]
}
