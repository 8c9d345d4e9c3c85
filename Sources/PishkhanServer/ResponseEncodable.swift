import Hummingbird
import PishkhanCore
import PishkhanStore

extension Page: ResponseEncodable {}
extension Ticket: ResponseEncodable {}
extension Customer: ResponseEncodable {}
extension CustomerProfile: ResponseEncodable {}
extension CustomerMerge: ResponseEncodable {}
extension Agent: ResponseEncodable {}
extension APIRoutes.TicketDetail: ResponseEncodable {}
extension APIRoutes.EventsPage: ResponseEncodable {}
extension RenderedReply: ResponseEncodable {}
