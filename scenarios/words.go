package scenarios

// words are short, neutral lowercase words for names and paths.
var words = []string{
	"amber", "anchor", "apple", "arrow", "aspen", "atlas", "badger", "bamboo", "basil", "beacon",
	"birch", "bison", "bramble", "breeze", "bronze", "cactus", "canyon", "cedar", "cherry", "cinder",
	"clover", "cobalt", "comet", "copper", "coral", "cotton", "crane", "crystal", "cypress", "dahlia",
	"delta", "desert", "dolphin", "dune", "eagle", "ember", "falcon", "fennel", "fern", "fig",
	"finch", "fjord", "flint", "forest", "fossil", "galaxy", "garnet", "geyser", "ginger", "glacier",
	"granite", "gull", "harbor", "hazel", "heron", "hickory", "holly", "horizon", "indigo", "iris",
	"island", "ivory", "jade", "jasmine", "juniper", "kelp", "kestrel", "lagoon", "larch", "lark",
	"laurel", "lemon", "lilac", "linden", "lotus", "lynx", "magnet", "maple", "marble", "marsh",
	"meadow", "mesa", "meteor", "mint", "mist", "nectar", "nova", "oak", "oasis", "olive", "onyx",
	"opal", "orbit", "orchid", "osprey", "otter", "palm", "panda", "pebble", "pepper", "pine", "plum",
	"polar", "poppy", "prairie", "quartz", "quill", "raven", "reef", "ridge", "river", "robin",
	"ruby", "saffron", "sage", "salmon", "sequoia", "shadow", "sierra", "silver", "sparrow", "spruce",
	"summit", "sunset", "swan", "tango", "thistle", "thunder", "tiger", "timber", "topaz", "tulip",
	"tundra", "valley", "velvet", "violet", "walnut", "willow", "wren", "yarrow", "zephyr", "zinnia",
}
